"""The demonstration review: a realistic, fictional local system review to explore the app with.

`sysreview demo seed` (run by `make run`) fills an empty database with one review of
"Northshire", a made-up county, at the reporting stage: partners, a review team and
self-assessors, about eighty items of evidence, self-assessment and review-team ratings,
moderated ratings, findings, numbered recommendations, the report's opening text and the
data profile. Every place, organisation and person is invented; the people are named
"(demo)" so nobody mistakes them for real.

The content is data: the YAML files in `app/demo/data/` (see the comment at the top of each),
checked against `schema.py` when read, with errors that name the file and line. Adding an
item of evidence is editing `evidence.yaml`. `seed.py` turns the data into a review through
the same services as the web pages and the API, so the demo obeys the rules (permissions,
validation, audit trail). It does nothing when any review exists.

Every demo account signs in with the documented password `sysreview-demo` (DEMO_PASSWORD):
a local demonstration, never a live system. Dates are worked out from the day of seeding
(fieldwork about two months earlier, targets ahead), so the content is the same on any day.
"""

from app.demo.cli import demo_cli
from app.demo.loader import DemoDataInvalid, load_demo_data
from app.demo.seed import ADMIN_EMAIL, DEMO_PASSWORD, REVIEW_TITLE, DemoAccount, DemoResult, seed_demo

__all__ = [
    "ADMIN_EMAIL",
    "DEMO_PASSWORD",
    "REVIEW_TITLE",
    "DemoAccount",
    "DemoDataInvalid",
    "DemoResult",
    "demo_cli",
    "load_demo_data",
    "seed_demo",
]
