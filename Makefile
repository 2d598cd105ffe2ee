# Lead Tracking: short commands for developers. Each one starts its own
# PostgreSQL server under .run/ (git-ignored). Odoo 17 must be importable by python3.
PYTHON ?= python3
LEADS ?= 100000
ACTIVITIES ?= $(LEADS)
DB ?= lead_tracking_data
SEED ?= 42

.PHONY: test demo data bench bench-quick soak lint pot clean mutation

test:          ## lint, then run every test on a throwaway database
	$(PYTHON) -m tools.test $(ARGS)

demo:          ## serve the demo on http://127.0.0.1:8069 (admin / admin)
	$(PYTHON) -m tools.demo $(ARGS)

data:          ## fill database $(DB) with $(LEADS) generated leads
	$(PYTHON) -m tools.datagen --db $(DB) --leads $(LEADS) --activities $(ACTIVITIES) --seed $(SEED) $(ARGS)

bench:         ## run the benchmark cases and print ours / anchor / ratio
	$(PYTHON) -m tools.bench $(ARGS)

bench-quick:   ## the same at development sizes (a few minutes)
	$(PYTHON) -m tools.bench --quick $(ARGS)

mutation:      ## mutation testing (mutmut) of the pure-Python parts; fails under 85 % killed
	$(PYTHON) -m tools.mutation $(ARGS)

soak:          ## multi-worker soak: portal, salespeople, new leads, crons and killed workers (ARGS="--minutes 2 --leads 20000")
	$(PYTHON) -m tools.soak $(ARGS)

lint:          ## ruff and pylint-odoo only
	$(PYTHON) -m ruff check .
	$(PYTHON) -m pylint --rcfile=.pylintrc lead_tracking

pot:           ## regenerate lead_tracking/i18n/lead_tracking.pot from the code and merge it into each .po
	$(PYTHON) -m tools.pot

clean:         ## stop and remove every private server and database of this checkout, and .run
	$(PYTHON) -m tools.pg clean
	rm -rf .run

.PHONY: screenshots description

screenshots:   ## redo the README's pictures (docs/images) from a throwaway demo, and the Apps page
	$(PYTHON) -m tools.screenshots $(ARGS)

description:   ## regenerate lead_tracking/static/description/index.html from lead_tracking/readme/
	$(PYTHON) -m tools.screenshots --description-only
