"""Value pools of the data generator (tools/datagen.py).

The same kinds of values as the foundation demo (lead_tracking/demo/crm_demo.xml),
with weights that give skewed, real-world distributions: a few big marketing
sources and a long tail of small ones, most leads lost, a few busy countries.
"""

# Sales organisation: team name -> (assignment domain, number of salespeople, weight of the lead flow)
TEAMS = [
    ("Europe", "[('country_id.code', 'in', ['BE', 'FR', 'DE', 'NL', 'ES', 'IT', 'GB'])]", 6, 40),
    ("Americas", "[('country_id.code', 'in', ['US', 'CA', 'BR', 'MX'])]", 5, 30),
    ("Direct Sales", "[('probability', '>=', 20)]", 3, 12),
    ("Asia Pacific", "[('country_id.code', 'in', ['IN', 'AU', 'JP', 'SG'])]", 3, 10),
    ("Inside Sales", "[]", 4, 8),
]

FIRST_NAMES = [
    "Anna",
    "Bruno",
    "Chloe",
    "Diego",
    "Emma",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Karim",
    "Lea",
    "Mateo",
    "Nora",
    "Olivia",
    "Oskar",
    "Paula",
    "Quentin",
    "Rosa",
    "Samir",
    "Tess",
    "Ugo",
    "Vera",
    "Wim",
    "Xavier",
    "Yara",
    "Zoe",
    "Noah",
    "Liam",
    "Mia",
    "Sofia",
    "Lucas",
    "Amir",
    "Elena",
    "Jan",
    "Marta",
]
LAST_NAMES = [
    "Keller",
    "Patel",
    "Sato",
    "Moreau",
    "Silva",
    "Lindqvist",
    "Costa",
    "Martin",
    "Fernandez",
    "Walker",
    "Haddad",
    "Novak",
    "Rossi",
    "Jansen",
    "Dubois",
    "Schmidt",
    "Garcia",
    "Kim",
    "Nguyen",
    "Okafor",
    "Larsen",
    "Peeters",
    "Muller",
    "Lopez",
    "Tanaka",
    "Singh",
    "Brown",
    "Wilson",
    "Ivanova",
    "Costa",
]
COMPANY_WORDS_A = [
    "Nimbus",
    "Juniper",
    "Dune",
    "Beacon",
    "Tidal",
    "Harbor",
    "Maple",
    "Solvia",
    "Vento",
    "Andes",
    "Polder",
    "Quarry",
    "Aztec",
    "Nordwind",
    "Brightpath",
    "Lumen",
    "Greenleaf",
    "Cobalt",
    "Orchid",
    "Summit",
    "Falcon",
    "Granite",
    "Willow",
    "Atlas",
    "Copper",
    "Delta",
    "Ember",
    "Fjord",
    "Helix",
    "Ivory",
    "Kestrel",
    "Lotus",
]
COMPANY_WORDS_B = [
    "Cloud",
    "Health",
    "Outdoor",
    "Clinics",
    "Energy",
    "Logistics",
    "Solar",
    "Optics",
    "Foods",
    "Timber",
    "Pharma",
    "Bikes",
    "Coffee",
    "Water Tech",
    "Stoneworks",
    "Textiles",
    "Robotics",
    "Media",
    "Retail",
    "Labs",
    "Motors",
    "Finance",
    "Builders",
    "Analytics",
]
LEAD_SUBJECTS = [
    "{company} needs a production planner",
    "{company} - CRM migration",
    "Demo request from {company}",
    "Field service app for {company}",
    "Inventory software for {company}",
    "Upgrade request from {company}",
    "Quote for {company}",
    "{company}: website and e-commerce",
    "Project tool for {company}",
]
DESCRIPTIONS = [
    "<p>Called after the webinar; price sensitive.</p>",
    "<p>Asked for a project and fsm demo.</p>",
    "<p>Wants mrp and stock on one system.</p>",
    "<p>Evaluating purchase and plm tools.</p>",
    "<p>Interested in crm and sales apps.</p>",
    "<p>Budget approved for next quarter.</p>",
]

# Free-mail domains (Odoo's iap tools treat them as personal addresses) and their share of free-mail leads.
FREEMAIL_DOMAINS = [
    ("gmail.com", 30),
    ("hotmail.com", 18),
    ("yahoo.com", 14),
    ("outlook.com", 10),
    ("icloud.com", 8),
    ("aol.com", 6),
    ("yahoo.fr", 5),
    ("hotmail.fr", 4),
    ("gmx.de", 5),
]

# country code -> (weight, phone prefix, [(city, state code or None, zip)])
COUNTRIES = {
    "US": (
        22,
        "+1",
        [
            ("Boston", "MA", "02108"),
            ("San Diego", "CA", "92101"),
            ("Austin", "TX", "73301"),
            ("Chicago", "IL", "60601"),
            ("Seattle", "WA", "98101"),
            ("New York", "NY", "10001"),
        ],
    ),
    "DE": (12, "+49", [("Hamburg", None, "20095"), ("Berlin", None, "10115"), ("Munich", None, "80331")]),
    "FR": (10, "+33", [("Lyon", None, "69001"), ("Paris", None, "75001"), ("Lille", None, "59000")]),
    "GB": (9, "+44", [("London", None, "EC1A"), ("Leeds", None, "LS1"), ("Manchester", None, "M1")]),
    "BE": (7, "+32", [("Ghent", None, "9000"), ("Brussels", None, "1000"), ("Antwerp", None, "2000")]),
    "NL": (6, "+31", [("Rotterdam", None, "3011"), ("Amsterdam", None, "1011"), ("Utrecht", None, "3511")]),
    "ES": (5, "+34", [("Valencia", None, "46001"), ("Madrid", None, "28001"), ("Barcelona", None, "08001")]),
    "IT": (5, "+39", [("Milan", None, "20121"), ("Rome", None, "00118"), ("Turin", None, "10121")]),
    "CA": (5, "+1", [("Vancouver", "BC", "V5K"), ("Toronto", "ON", "M5H"), ("Montreal", "QC", "H2Y")]),
    "BR": (4, "+55", [("Sao Paulo", "SP", "01000"), ("Rio de Janeiro", "RJ", "20000")]),
    "MX": (3, "+52", [("Guadalajara", "JAL", "44100"), ("Monterrey", "NL", "64000")]),
    "IN": (4, "+91", [("Bangalore", "KA", "560001"), ("Mumbai", "MH", "400001")]),
    "AU": (3, "+61", [("Sydney", "NSW", "2000"), ("Melbourne", "VIC", "3000")]),
    "JP": (2, "+81", [("Tokyo", None, "100-0001"), ("Osaka", None, "530-0001")]),
    "SG": (1, "+65", [("Singapore", None, "018956")]),
}
NO_COUNTRY_WEIGHT = 6  # leads whose country nobody filled in

# UTM: (source name, medium name, weight). A few big sources, then a long tail (see LONG_TAIL_SOURCES).
SOURCES = [
    ("Search engine", "Google Adwords", 260),
    ("Website Contact Form", "Website", 190),
    ("Live Chat", "Website", 110),
    ("Newsletter", "Email", 80),
    ("Facebook", "Facebook", 60),
    ("LinkedIn", "LinkedIn", 45),
    ("Partner Referral", "Referral", 35),
    ("Trade Show", "Event", 25),
    ("Appointment", "Phone", 18),
    ("Podcast", "Banner", 10),
]
LONG_TAIL_SOURCES = 40  # "Campaign partner 01".. each with a small Zipf weight
NO_SOURCE_WEIGHT = 60
MEDIUMS = ["Google Adwords", "Website", "Email", "Facebook", "LinkedIn", "Referral", "Event", "Phone", "Banner"]
CAMPAIGNS = [
    "Spring Launch",
    "Webinar: Inventory in Practice",
    "Hannover Trade Fair",
    "Black Friday Offer",
    "Summer Promo",
    "Q4 Enterprise Push",
    "Manufacturing Days",
    "Retail Roadshow",
    "Year-End Renewal",
]

SIZE_TAGS = [("5-20", 38), ("20-50", 27), ("50-200", 18), ("200+", 9)]  # the rest has no size tag
PRODUCT_TAGS = ["Inventory", "Manufacturing", "Project", "Sales", "Services"]

# Resellers (when lead_tracking is installed): one reseller per RESELLER_LEADS leads, within bounds.
RESELLER_LEADS = 5_000
RESELLER_BOUNDS = (12, 200)
RESELLER_LEVELS = [  # (xml id, share of resellers)
    ("lead_tracking.reseller_level_gold", 15),
    ("lead_tracking.reseller_level_silver", 35),
    ("lead_tracking.reseller_level_bronze", 50),
]
RESELLER_ACTIVATIONS = [
    ("lead_tracking.reseller_activation_fully_operational", 55),
    ("lead_tracking.reseller_activation_ramp_up", 30),
    ("lead_tracking.reseller_activation_first_contact", 15),
]
RESELLER_SHARE = 0.05  # of leads handed to a reseller at some point
RESELLER_DECLINED = 0.2  # of those, declined by a first reseller
RESELLER_REASSIGNED = 0.6  # of the declined ones, handed to a second reseller
RESELLER_ANSWER_HOURS = 20.0  # mean hours from assignment to the reseller's first message
RESELLER_PENDING_ANSWERED = 0.25  # leads not accepted yet on which the reseller already wrote

LOST_REASONS = [  # (name, weight); crm ships "Too expensive", "We don't have people/skills", "Not enough stock"
    ("Too expensive", 30),
    ("We don't have people/skills", 10),
    ("Not enough stock", 6),
    ("Went with a competitor", 25),
    ("No budget this year", 18),
    ("Could not reach the contact", 22),
]

ACTIVITY_SUMMARIES = {
    "mail.mail_activity_data_call": ["Call back", "Qualification call", "Follow-up call"],
    "mail.mail_activity_data_email": ["Send the proposal", "Send the brochure", "Answer questions"],
    "mail.mail_activity_data_meeting": ["Product demo", "On-site visit", "Negotiation meeting"],
    "mail.mail_activity_data_todo": ["Check stock needs", "Prepare quote", "Update the contact"],
}
