"""Bench case: every view a user opens on the six reports, as the web client asks it.

For each report, with the filters its action opens on (``search_default_*``), read as the admin user
(a sales manager, under the company rule), on 1,000,000 leads and 1,000,000 activities (quick: 20,000):

- the graph: one ``read_group`` on the graph's group-bys and measure;
- the pivot: the ``read_group`` of every combination of its row and column group-bys (prefixes), as
  the pivot loads its default measures;
- the list's first page: ``web_read_group`` when the list is grouped by default, else
  ``web_search_read`` of 80 lines with the count the pager shows;
- each shipped favourite (``ir.filters``): its domain and group-bys on the graph (and on the pivot when
  it sets the pivot's rows).

Each view is timed warm (7 repeats after a warm-up) and cold (its first read after a PostgreSQL
restart and a fresh Odoo registry). For the reports that keep a summary, the anchor is the same view
read from the lines (``lt_report_summary=False``), so the table shows summary against none per view.
Target (docs/reports.md): every view at most 1 s p95 warm, and 3 s cold.
"""

from datetime import date

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo.tools.safe_eval import safe_eval

TITLE = "Report views: graph, pivot, first list page and favourites of each report, warm and cold"

REPEAT = 7
REPORTS = [
    ("unattended", "lead_tracking.crm_lead_unattended_report_action"),
    ("quality", "lead_tracking.crm_lead_quality_report_action"),
    ("scoring", "lead_tracking.crm_lead_scoring_report_action"),
    ("partnership", "lead_tracking.crm_reseller_report_action"),
    ("attribution", "lead_tracking.crm_lead_attribution_report_action"),
    ("distribution", "lead_tracking.crm_lead_distribution_report_action"),
]


def _eval(env, text):
    return safe_eval(text or "{}", {"context_today": date.today, "relativedelta": relativedelta, "uid": env.uid})


def _aggregate(model, name):
    field = model._fields[name]
    return f"{name}:{field.group_operator or 'sum'}"


def _arch(model, view_type):
    return etree.fromstring(model.get_view(view_type=view_type)["arch"])


def _groupby(node):
    return node.get("name") + (f":{node.get('interval')}" if node.get("interval") else "")


def views(env, xmlid):
    """{view name: read function(model)} of the action ``xmlid``, as the web client reads them."""
    action = env.ref(xmlid)
    model = env[action.res_model]
    context = _eval(env, action.context)
    search = _arch(model, "search")
    filters = {node.get("name"): node.get("domain") for node in search.iter("filter") if node.get("domain")}
    domain = []
    for key in context:
        if key.startswith("search_default_") and key[15:] in filters:
            domain += _eval(env, filters[key[15:]])
    reads = {}

    graph = _arch(model, "graph")
    graph_groupby = [_groupby(node) for node in graph.iter("field") if node.get("type") != "measure"]
    graph_measure = [_aggregate(model, node.get("name")) for node in graph.iter("field")
                     if node.get("type") == "measure"] or ["__count"]

    def graph_read(report, domain=domain, groupby=graph_groupby):
        return report.read_group(domain, graph_measure, groupby, lazy=False)

    reads["graph"] = graph_read

    pivot = _arch(model, "pivot")
    rows = [_groupby(node) for node in pivot.iter("field") if node.get("type") == "row"]
    cols = [_groupby(node) for node in pivot.iter("field") if node.get("type") == "col"]
    measures = ["__count"] + [_aggregate(model, node.get("name")) for node in pivot.iter("field")
                              if node.get("type") == "measure"]

    def pivot_read(report, domain=domain, rows=rows, cols=cols, measures=measures):
        for i in range(len(rows) + 1):
            for j in range(len(cols) + 1):
                report.read_group(domain, measures, rows[:i] + cols[:j], lazy=False)

    reads["pivot"] = pivot_read

    tree = _arch(model, "tree")
    names = [node.get("name") for node in tree.iter("field") if node.getparent().tag == "tree"]
    spec = {name: ({"fields": {"display_name": {}}} if model._fields[name].type == "many2one" else {})
            for name in names}
    grouped = tree.get("default_group_by")
    aggregates = [f"{name}:{node.get('sum') and 'sum' or model._fields[name].group_operator}"
                  for node in tree.iter("field") if (name := node.get("name")) and node.get("sum")]

    def list_read(report, domain=domain):
        if grouped:
            return report.web_read_group(domain, aggregates or ["__count"], [grouped], limit=80, lazy=True)
        return report.web_search_read(domain, spec, 0, 80, None, count_limit=10001)

    reads["list"] = list_read

    for favourite in env["ir.filters"].search([("action_id", "=", action.id), ("user_id", "=", False)]):
        fav_domain = _eval(env, favourite.domain)
        fav_context = _eval(env, favourite.context)
        fav_groupby = fav_context.get("group_by") or graph_groupby
        fav_groupby = [fav_groupby] if isinstance(fav_groupby, str) else fav_groupby

        def favourite_read(report, fav_domain=fav_domain, fav_groupby=fav_groupby, fav_context=fav_context):
            report.read_group(fav_domain, graph_measure, fav_groupby, lazy=False)
            if fav_context.get("pivot_row_groupby"):
                fav_measures = [m if m == "__count" else _aggregate(report, m)
                                for m in fav_context.get("pivot_measures") or ["__count"]]
                pivot_read(report, fav_domain, fav_context["pivot_row_groupby"], [], fav_measures)

        reads[f"favourite {favourite.name}"] = favourite_read
    return action.res_model, reads


def _report(env, model_name, summary):
    report = env[model_name].with_user(env.ref("base.user_admin")).with_context(tz="UTC", lang="en_US")
    return report if summary else report.with_context(lt_report_summary=False)


def run(bench):
    leads = 20_000 if bench.quick else 1_000_000
    dbname = bench.database(leads, leads)
    with bench.env(dbname) as env:
        plan = {name: views(env, xmlid) for name, xmlid in REPORTS}
        summarised = {model for model, _reads in plan.values() if env[model]._lt_summarised}
        names = {name: list(reads) for name, (_model, reads) in plan.items()}

    def cold(name, view, summary):
        bench._release(dbname)
        bench.cluster.restart()
        with bench.env(dbname) as env:
            model, reads = views(env, dict(REPORTS)[name])
            report = _report(env, model, summary)
            return bench.timed(lambda: reads[view](report))

    for name, view_names in names.items():
        model = plan[name][0]
        for view in view_names:
            flags = (True, False) if model in summarised else (True,)
            first = {flag: cold(name, view, flag) for flag in flags}
            with bench.env(dbname) as env:
                _model, reads = views(env, dict(REPORTS)[name])
                view_read = reads[view]
                warm = {}
                for flag in flags:
                    report = _report(env, model, flag)

                    def read(report=report, view_read=view_read):
                        report.invalidate_model()
                        return view_read(report)

                    warm[flag] = bench.timed(read, repeat=REPEAT, warmup=1)
                counted = _report(env, model, True)
                _result, queries = bench.queries(lambda view_read=view_read, counted=counted: view_read(counted))
            label = f"{name} {view}"[:34]
            bench.result(label, warm[True], warm.get(False), leads=leads, queries=queries,
                         summary=model in summarised)
            bench.result(f"{label[:28]} cold", first[True], first.get(False), leads=leads)
