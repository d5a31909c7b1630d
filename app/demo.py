"""The demonstration review: a realistic, fictional local system review to explore the app with.

`sysreview demo seed` (run by `make run`) fills an empty database with one review of
"Northshire", a made-up county, at the reporting stage: partners, a review team and
self-assessors, about eighty items of evidence, self-assessment and review-team ratings,
moderated ratings, findings, numbered recommendations, the report's opening text and the
data profile. Every place, organisation and person is invented; the people are named
"(demo)" so nobody mistakes them for real.

It goes through the same services as the web pages and the API, so the demo obeys the
rules (permissions, validation, audit trail). It does nothing when any review exists.

Every demo account signs in with the documented password `sysreview-demo` (DEMO_PASSWORD):
a local demonstration, never a live system. Dates are worked out from the day of seeding
(fieldwork about two months earlier, targets ahead), so the content is the same on any day.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated

import typer
from sqlmodel import Session, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.permissions import Action
from app.core.errors import NotFound
from app.core.timeutil import utcnow
from app.dataprofile import service as dataprofile
from app.evidence import service as evidence_service
from app.evidence.schemas import EvidenceUpdate
from app.findings import service as findings
from app.frameworks import service as frameworks
from app.ratings import service as ratings
from app.reviews import service as reviews
from app.reviews.access import ReviewScope, authorize, scope_for
from app.reviews.changes import review_framework
from app.reviews.models import Organisation, Review

DEMO_PASSWORD = "sysreview-demo"
ADMIN_EMAIL = "admin@demo.sysreview.local"
FRAMEWORK_KEY = "local-system-review"
REVIEW_TITLE = "Local system review: Northshire"
# Evidence ids are made from their keys, so a demo database always has the same ids.
_EVIDENCE_NAMESPACE = uuid.UUID("6f1d3a52-8c1e-4b7e-9a55-2f0c4d1e7b90")


# People and partners -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    email: str
    role: str  # a review role, or "admin" for the administrator
    organisation: str = ""  # a partner key, for self-assessors


@dataclass(frozen=True)
class Partner:
    key: str
    name: str
    org_type: str


PARTNERS = (
    Partner("council", "Northshire County Council", "local_authority"),
    Partner("icb", "Northshire and Wyebridge ICB", "icb"),
    Partner("acute", "Northshire Hospitals NHS Foundation Trust", "nhs_trust"),
    Partner("community", "Wyebridge Community Health NHS Trust", "nhs_trust"),
    Partner("healthwatch", "Northshire Healthwatch", "healthwatch"),
    Partner("providers", "Northshire Care Providers Association", "care_provider"),
    Partner("gpfed", "Wyebridge GP Federation", "primary_care"),
    Partner("vcs", "Northshire Later Life Partnership", "voluntary_sector"),
)

ADMIN = Person("admin", "Demo Administrator", ADMIN_EMAIL, "admin")
TEAM = (
    Person("lead", "Priya Lead (demo)", "lead@demo.sysreview.local", "lead"),
    Person("r1", "Tom Reviewer (demo)", "tom.reviewer@demo.sysreview.local", "reviewer"),
    Person("r2", "Aisha Reviewer (demo)", "aisha.reviewer@demo.sysreview.local", "reviewer"),
    Person("r3", "Gareth Reviewer (demo)", "gareth.reviewer@demo.sysreview.local", "reviewer"),
    Person("writer", "Helen Writer (demo)", "writer@demo.sysreview.local", "report_writer"),
    Person("observer", "Sam Observer (demo)", "observer@demo.sysreview.local", "observer"),
)
# The order of SELF_ASSESSORS is the order of the values in each line's self-assessment tuple.
SELF_ASSESSORS = (
    Person("sa_council", "Maria Council (demo)", "council@demo.sysreview.local", "self_assessor", "council"),
    Person("sa_icb", "Owen Board (demo)", "icb@demo.sysreview.local", "self_assessor", "icb"),
    Person("sa_acute", "Ruth Hospital (demo)", "hospital@demo.sysreview.local", "self_assessor", "acute"),
    Person(
        "sa_community", "Dev Community (demo)", "community@demo.sysreview.local", "self_assessor", "community"
    ),
    Person("sa_gpfed", "Grace Practice (demo)", "gp@demo.sysreview.local", "self_assessor", "gpfed"),
)
REVIEWERS = ("r1", "r2", "r3")


# Evidence ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceSeed:
    key: str
    title: str
    source: str
    category: str
    polarity: str
    refs: tuple[str, ...]
    stages: tuple[str, ...]
    orgs: tuple[str, ...]
    day: int  # days after the first day of fieldwork (negative: gathered before the visit)
    by: str  # the team member who collected it
    narrative: str
    quote: str = ""
    tags: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_EVIDENCE_NAMESPACE, self.key))


ALL_STAGES = ("staying-well", "crisis", "step-down")


def _ev(
    key: str,
    title: str,
    source: str,
    category: str,
    polarity: str,
    refs: str,
    stages: str | tuple[str, ...],
    orgs: str,
    day: int,
    by: str,
    narrative: str,
    quote: str = "",
    tags: str = "",
) -> EvidenceSeed:
    """One evidence seed; refs, orgs and tags are space-separated, stages "all" or space-separated."""
    stage_keys = ALL_STAGES if stages == "all" else tuple(str(stages).split())
    return EvidenceSeed(
        key,
        title,
        source,
        category,
        polarity,
        tuple(refs.split()),
        stage_keys,
        tuple(orgs.split()),
        day,
        by,
        narrative,
        quote,
        tuple(tags.split(",")) if tags else (),
    )


EVIDENCE = (
    # Shared vision and purpose
    _ev(
        "strategy",
        "Joint older people's strategy 2025 to 2030",
        "document-review",
        "processes",
        "strength",
        "SV1 SV4",
        "all",
        "council icb",
        -18,
        "r1",
        "The strategy was approved by the council's cabinet and the ICB board in the same month. It sets "
        "three ambitions that follow an older person's journey: help to stay well at home, a quick and "
        "joined-up response in a crisis, and a return home as the first choice after a hospital stay.\n\n"
        "Each ambition has a named senior sponsor from each side.",
        tags="strategy",
    ),
    _ev(
        "ceo-interviews",
        "Interviews with chief executives: one story, different emphases",
        "interview",
        "staff-leaders",
        "context",
        "SV1 LG1 RE1",
        "all",
        "council icb acute",
        0,
        "lead",
        "The council's chief executive and the ICB's chief executive described the vision in almost the "
        "same words, centred on people living at home for longer. The hospital trust's leaders spoke "
        "first about bed capacity and winter, and only then about the strategy.",
        "We all say home first. We don't all mean the same thing by it yet.",
        "leadership",
    ),
    _ev(
        "older-peoples-forum",
        "Older people's forum: the strategy was not shaped with us",
        "focus-group",
        "people-experience",
        "concern",
        "SV2 IS4",
        "staying-well",
        "healthwatch vcs",
        1,
        "r2",
        "Eleven members of the older people's forum met two reviewers. Most knew the strategy existed. "
        "They felt they had been asked to comment on a finished draft rather than help write it, and "
        "nobody could say what had changed because of their comments.",
        "They consulted us after the words were written.",
        "involvement",
    ),
    _ev(
        "jsna-ageing",
        "Needs assessment chapter on ageing well",
        "document-review",
        "processes",
        "strength",
        "SV3 LC6",
        "staying-well",
        "council icb",
        -16,
        "r3",
        "The joint strategic needs assessment projects the number of residents aged 65 and over to rise "
        "by about a quarter by 2035, and those aged 85 and over by two fifths, fastest in the rural west. "
        "It maps frailty and loneliness by neighbourhood. It does not yet draw on hospital flow data.",
    ),
    _ev(
        "outcomes-framework",
        "Shared outcomes agreed but not yet reported together",
        "system-overview-return",
        "processes",
        "concern",
        "SV5 LG3",
        "all",
        "council icb",
        -25,
        "r1",
        "Partners agreed nine shared outcomes for older people last year. Each board still receives its "
        "own performance report with its own measures; the first joint report on the shared outcomes is "
        "not planned until next year.",
    ),
    _ev(
        "ward-staff-group",
        "Ward and community staff could not describe the shared vision",
        "focus-group",
        "staff-leaders",
        "concern",
        "SV6 RE2",
        "crisis step-down",
        "acute community",
        2,
        "r2",
        "Fourteen nurses, therapists and discharge coordinators took part. Asked what the system was "
        "trying to achieve for older people, most talked about their own ward's pressures. Two had heard "
        "of 'home first' as a slogan; none knew there was a joint plan.",
        "Home first is a poster in the lift.",
        "frontline",
    ),
    _ev(
        "provider-newsletter",
        "Care providers heard about the strategy through a newsletter",
        "partner-feedback",
        "partners",
        "concern",
        "SV6 RE3",
        "step-down",
        "providers",
        -5,
        "r3",
        "The care providers' association told us its members learned of the strategy from the council's "
        "monthly provider bulletin. Providers were not invited to the launch and do not see themselves in "
        "its ambitions.",
    ),
    _ev(
        "delivery-plan",
        "Joint delivery plan with named owners and dates",
        "document-review",
        "processes",
        "strength",
        "SV4 LG2",
        "all",
        "council icb community",
        -17,
        "r1",
        "The plan turns the strategy into 28 actions, each with an owner and a date, and a progress "
        "report to the joint commissioning board every quarter. Actions for the crisis stage are fewer "
        "and vaguer than those for staying well and for discharge.",
    ),
    _ev(
        "sa-vision",
        "Self-assessment: leaders rate the shared vision highly",
        "self-assessment",
        "staff-leaders",
        "context",
        "SV1 SV5",
        "all",
        "council icb acute community gpfed",
        -10,
        "lead",
        "In their self-assessment, leaders from all five partners rated the shared vision as their "
        "strongest domain. The review team found the vision well owned at the top but little known "
        "among frontline staff and providers.",
    ),
    # Leadership and governance
    _ev(
        "hwb-minutes",
        "Health and wellbeing board: decisions often deferred",
        "document-review",
        "processes",
        "concern",
        "LG2 LG6",
        "all",
        "council icb",
        -15,
        "r3",
        "In three of the last five meetings the board deferred decisions on the Better Care Fund to an "
        "officers' group. Minutes record discussion but rarely who will do what by when.",
        tags="governance",
    ),
    _ev(
        "leaders-meeting",
        "Observation of the system leadership group",
        "observation",
        "observation",
        "strength",
        "LG1 RE1 LG4 LC5",
        "all",
        "council icb acute community",
        1,
        "lead",
        "Chief executives and directors challenged each other openly on the winter plan and agreed, in "
        "the room, to move discharge funding to the team with the longest waits. The chair summarised "
        "decisions and owners at the end.",
    ),
    _ev(
        "performance-dashboard",
        "Integrated performance dashboard shows hospital measures only",
        "document-review",
        "processes",
        "context",
        "LG3 IS5",
        "all",
        "icb acute",
        -14,
        "r1",
        "A shared dashboard has existed since last year. It tracks admissions, length of stay and "
        "patients no longer meeting the criteria to reside. It carries no social care outcomes, such as "
        "people still at home after reablement.",
    ),
    _ev(
        "provider-failure",
        "Care home closure handled jointly",
        "document-review",
        "processes",
        "strength",
        "LG4 FC3",
        "crisis step-down",
        "council icb acute providers",
        -12,
        "r3",
        "When a 60-bed nursing home closed at short notice last winter, the council, the ICB and the "
        "hospital trust ran a single incident team. All residents were found new homes within nine days "
        "and families had one named contact throughout.",
    ),
    _ev(
        "cabinet-member",
        "Interview with the cabinet member for adult social care",
        "interview",
        "staff-leaders",
        "strength",
        "LG6 SV1",
        "all",
        "council",
        2,
        "lead",
        "The cabinet member knew the strategy well and described recent scrutiny of hospital discharge. "
        "The adult social care scrutiny committee has looked at discharge twice in a year and asked the "
        "hospital trust to attend.",
    ),
    _ev(
        "neds",
        "Non-executive directors unclear about joint arrangements",
        "interview",
        "staff-leaders",
        "concern",
        "LG6 LG2",
        "all",
        "acute icb",
        3,
        "lead",
        "Two non-executive directors of the hospital trust and one of the ICB could not say which joint "
        "body decides how pooled money is spent. They receive little information about social care.",
    ),
    _ev(
        "back-to-floor",
        "Leaders shadow frontline teams",
        "interview",
        "staff-leaders",
        "strength",
        "LG5",
        "step-down",
        "council acute",
        3,
        "r2",
        "The director of adult social services and the trust's chief nurse each spent a day with the "
        "discharge team this year. Staff said it changed how quickly problems were escalated and "
        "mentioned it without prompting.",
    ),
    _ev(
        "bed-meeting",
        "Observation of the daily bed meeting",
        "observation",
        "observation",
        "concern",
        "LG7 IS5 RE2",
        "crisis step-down",
        "acute community council",
        0,
        "r1",
        "A 40-minute meeting with three organisations. Adult social care was represented by one duty "
        "manager on the phone. Twenty-three people no longer meeting the criteria to reside were "
        "discussed one by one; for most, the plan repeated the previous day's. Nine were waiting for "
        "home care and there was no route to escalate them beyond the meeting.",
        tags="discharge,flow",
    ),
    _ev(
        "d2a-data",
        "Discharge to assess: waits from ready to leave",
        "data-profile",
        "outcomes",
        "concern",
        "LG7 FC4",
        "step-down",
        "acute council",
        -30,
        "r3",
        "On average people waited almost six days from being ready to leave hospital to leaving. Those "
        "going home with new care waited longest, at over eight days; those going to a care home bed "
        "about four.",
        tags="discharge,flow",
    ),
    _ev(
        "case-a",
        "Case tracking: Mrs A, 87, a fall at home",
        "case-tracking",
        "people-experience",
        "concern",
        "LG7 RE5 IS3",
        "crisis step-down",
        "acute council community",
        1,
        "r2",
        "Mrs A fell at home and lay on the floor for several hours before a neighbour called an "
        "ambulance. She was medically ready to leave on day four but waited eleven more days for a home "
        "care package. She was assessed by three different people asking the same questions, and her "
        "daughter was told three different discharge dates.",
        "I told my story five times and I still don't know who is in charge of getting me home.",
        "case tracking",
    ),
    _ev(
        "escalation-plan",
        "Shared escalation plan used in practice",
        "document-review",
        "processes",
        "strength",
        "LG4",
        "crisis",
        "acute council icb",
        -12,
        "r1",
        "The system's escalation plan sets out what each partner does at each level of pressure. Logs "
        "for the last three escalations show the council added weekend social work cover within a day "
        "each time.",
    ),
    # Relationships
    _ev(
        "relational-senior",
        "Relational audit: senior leaders",
        "relational-audit",
        "partners",
        "context",
        "RE1 LG1",
        "all",
        "council icb acute community",
        -8,
        "r3",
        "Forty-two senior managers answered the survey. Directness and commonality scored well between "
        "chief executives. Parity scored lowest: council managers felt their views carried less weight "
        "than the NHS's in joint meetings.",
        tags="relational audit",
    ),
    _ev(
        "relational-frontline",
        "Relational audit: frontline teams",
        "relational-audit",
        "staff-leaders",
        "concern",
        "RE2",
        "all",
        "acute community council providers",
        -8,
        "r3",
        "Among 180 frontline staff, continuity scored lowest: ward staff rarely dealt with the same "
        "social worker twice, and home care agencies rarely knew the name of anyone on the wards.",
        tags="relational audit",
    ),
    _ev(
        "neighbourhood-team",
        "Integrated neighbourhood team meeting, Wyebridge East",
        "observation",
        "observation",
        "strength",
        "RE2 RE4 WF4 FC7",
        "staying-well",
        "community gpfed council",
        2,
        "r2",
        "A GP, a district nurse, a social worker, a care coordinator and a voluntary sector link worker "
        "discussed twelve older people at risk of going into hospital. Each left with agreed actions and "
        "a named lead. Members used first names and spoke as one team.",
    ),
    _ev(
        "care-home-survey",
        "Survey of care home managers",
        "survey",
        "partners",
        "concern",
        "RE3 FC3 FC7",
        "all",
        "providers",
        -6,
        "r3",
        "Forty-one of 88 care homes replied. Six in ten said they were not treated as partners. Many "
        "cited the yearly fee uplift being announced after the financial year had started, and being "
        "asked to take people from hospital without a trusted assessment.",
        tags="care homes",
    ),
    _ev(
        "home-care-group",
        "Home care providers' focus group",
        "focus-group",
        "partners",
        "concern",
        "RE3 WF2",
        "step-down",
        "providers",
        2,
        "r1",
        "Seven home care agencies took part. They described discharges arranged late in the day and at "
        "the end of the week, and short notice of changes to people's needs.",
        "We hear about discharges at four o'clock on a Friday.",
        "home care",
    ),
    _ev(
        "hospital-to-home",
        "Voluntary sector hospital to home service",
        "partner-feedback",
        "partners",
        "strength",
        "RE4 FC5",
        "staying-well step-down",
        "vcs",
        -4,
        "r2",
        "Volunteers settle about 140 people a month after a hospital stay: shopping, heating on, a "
        "follow-up call. Ward staff value the service. Its funding is agreed a year at a time, which "
        "makes it hard to keep staff.",
    ),
    _ev(
        "vcs-planning",
        "Voluntary sector left out of planning groups",
        "interview",
        "partners",
        "concern",
        "RE4 SV2",
        "all",
        "vcs",
        3,
        "r2",
        "The voluntary sector has one seat on the health and wellbeing board but none on the groups that "
        "plan discharge or winter. Leaders said they are asked to deliver at short notice but not to "
        "help design.",
    ),
    _ev(
        "carers-group",
        "Carers' focus group",
        "focus-group",
        "people-experience",
        "concern",
        "RE5 FC5 IS4",
        "all",
        "healthwatch vcs",
        1,
        "r2",
        "Nine carers of older people took part. Most had not been offered a carer's assessment. Several "
        "described being expected to provide care after a discharge without being asked.",
        "Nobody asked me whether I could cope. They just assumed I would.",
        "carers",
    ),
    _ev(
        "case-b",
        "Case tracking: Mr B, 79, reablement at home",
        "case-tracking",
        "people-experience",
        "strength",
        "RE5 FC4 WF3",
        "step-down",
        "council community",
        2,
        "r1",
        "After a hip replacement Mr B went home with the reablement team. They set goals with him, "
        "visited up to three times a day and handed over to a small package of care after five weeks. "
        "He needs less help now than before his operation.",
        "They asked what I wanted to be able to do, and it was getting back to my allotment.",
        "case tracking,reablement",
    ),
    _ev(
        "ambulance-feedback",
        "Ambulance service: three different falls pathways",
        "partner-feedback",
        "partners",
        "concern",
        "RE6",
        "crisis",
        "icb",
        -3,
        "r3",
        "The regional ambulance service covers three councils. It told us crews must follow a different "
        "falls response in each, and that Northshire's is the hardest to reach out of hours.",
    ),
    _ev(
        "cross-border",
        "Discharges from the neighbouring county's hospital take longer",
        "data-profile",
        "outcomes",
        "concern",
        "RE6 IS3",
        "step-down",
        "council",
        -28,
        "r1",
        "About one in seven emergency admissions of Northshire residents aged 65 and over are to a "
        "hospital across the county boundary. Their discharges take two days longer on average than "
        "from Northshire's own hospital.",
    ),
    # Funding and commissioning
    _ev(
        "bcf-plan",
        "Better Care Fund plan and section 75 agreement",
        "document-review",
        "processes",
        "context",
        "FC1 FC6",
        "all",
        "council icb",
        -20,
        "r3",
        "The pooled budget is about £96 million. Seven in ten pounds fund services that have rolled over "
        "from year to year without review; new schemes are small. The section 75 agreement has no rule "
        "for sharing overspends.",
        tags="pooled budget",
    ),
    _ev(
        "step-down-beds",
        "Step-down beds commissioned jointly",
        "interview",
        "staff-leaders",
        "strength",
        "FC2 FC4",
        "step-down",
        "council icb",
        1,
        "r3",
        "Council and ICB commissioners wrote one specification for 48 step-down beds and run one "
        "contract. Both described it as a model for other services.",
    ),
    _ev(
        "market-statement",
        "Market position statement out of date",
        "document-review",
        "processes",
        "concern",
        "FC3",
        "step-down",
        "council providers",
        -19,
        "r1",
        "The council's market position statement was last updated three years ago. It predates two care "
        "home closures and says nothing about the shortage of home care in the rural west.",
    ),
    _ev(
        "home-care-hours",
        "Home care hours waiting to be picked up",
        "data-profile",
        "outcomes",
        "concern",
        "FC3 WF2 WF6",
        "step-down",
        "council",
        -30,
        "r3",
        "On a typical day about 1,900 hours a week of home care are waiting to be picked up by an agency, "
        "most of them in the rural west. People wait in hospital, in step-down beds or at home with "
        "family filling the gap.",
        tags="home care",
    ),
    _ev(
        "reablement-capacity",
        "Reablement capacity falls short of demand",
        "system-overview-return",
        "processes",
        "concern",
        "FC4",
        "step-down",
        "council community",
        -25,
        "r1",
        "The reablement service is sized for about 120 new people a month. Referrals run at about 170, "
        "so some people who could regain independence go straight to long-term care instead.",
        tags="reablement",
    ),
    _ev(
        "prevention-fund",
        "Joint prevention fund: falls classes and carers' breaks",
        "document-review",
        "processes",
        "strength",
        "FC5",
        "staying-well",
        "council icb vcs",
        -16,
        "r2",
        "A joint fund of about £2 million pays for strength and balance classes in every market town, "
        "carers' short breaks and social prescribing link workers. An evaluation of the falls classes is "
        "under way.",
    ),
    _ev(
        "finance-directors",
        "Finance directors: disputes over who pays",
        "interview",
        "staff-leaders",
        "concern",
        "FC6 FC1 LG2",
        "step-down",
        "council icb acute",
        3,
        "r3",
        "Disputes over whether someone's care is funded by the NHS or the council take around eight "
        "weeks to settle. Meanwhile people wait in interim beds. Both directors said the dispute process "
        "was slow and adversarial.",
    ),
    _ev(
        "care-home-support",
        "Enhanced health support in care homes",
        "data-profile",
        "outcomes",
        "strength",
        "FC7",
        "staying-well crisis",
        "gpfed providers",
        -27,
        "r2",
        "Every care home is aligned to one GP practice with a weekly round and a named community nurse. "
        "Emergency admissions from care homes fell by about a tenth in a year and are now below the "
        "England rate.",
        tags="care homes",
    ),
    _ev(
        "chc-in-hospital",
        "Continuing healthcare assessments still done in hospital",
        "complaints-incidents",
        "processes",
        "concern",
        "FC6 LG7",
        "step-down",
        "icb council",
        -9,
        "r1",
        "Despite local policy, a third of NHS continuing healthcare assessments last quarter took place "
        "on a hospital ward. Two complaints describe people kept in hospital for a week waiting for one.",
    ),
    # Workforce
    _ev(
        "workforce-plan",
        "No joint workforce plan",
        "document-review",
        "processes",
        "concern",
        "WF1",
        "all",
        "icb council providers",
        -15,
        "r2",
        "The ICB's workforce plan covers NHS staff only. Social care appears in one paragraph and "
        "independent care providers not at all. The council has its own plan for its directly employed "
        "staff.",
        tags="workforce",
    ),
    _ev(
        "care-workforce-data",
        "Social care vacancies and turnover",
        "data-profile",
        "outcomes",
        "concern",
        "WF2",
        "all",
        "council providers",
        -30,
        "r3",
        "Almost one in eight posts in adult social care are vacant and three in ten care workers leave "
        "their job within a year, both well above the England figures.",
        tags="workforce",
    ),
    _ev(
        "district-nursing",
        "District nursing vacancies",
        "interview",
        "staff-leaders",
        "context",
        "WF2 WF6",
        "staying-well crisis",
        "community",
        2,
        "r2",
        "The community trust has one in seven district nursing posts vacant. It uses agency nurses at "
        "weekends, which leaders said makes weekend visits less reliable.",
    ),
    _ev(
        "trusted-assessors",
        "Trusted assessors accepted by care homes",
        "document-review",
        "processes",
        "strength",
        "WF3 WF4",
        "step-down",
        "providers acute",
        -11,
        "r1",
        "Thirty-six ward staff have been trained as trusted assessors. Care homes in the providers' "
        "association have agreed to accept their assessments, saving a visit and usually a day.",
    ),
    _ev(
        "staff-confidence-survey",
        "Frontline staff confidence in working across organisations",
        "survey",
        "staff-leaders",
        "context",
        "WF3 RE2",
        "all",
        "acute community council providers",
        -7,
        "r3",
        "About two thirds of frontline staff said they knew whom to call in another organisation. Fewer "
        "than half had had any training in the other sector's rules, such as how council care is "
        "funded.",
    ),
    _ev(
        "apprenticeship",
        "Joint health and care apprenticeship",
        "interview",
        "staff-leaders",
        "strength",
        "WF4 WF1",
        "staying-well",
        "council community providers",
        3,
        "r2",
        "A rotational apprenticeship across community nursing, reablement and home care took its first "
        "18 starters this year. It is the only joint workforce scheme in the system.",
    ),
    _ev(
        "wellbeing-group",
        "Staff wellbeing support depends on the employer",
        "focus-group",
        "staff-leaders",
        "concern",
        "WF5",
        "all",
        "providers acute",
        3,
        "r1",
        "Care workers from independent agencies compared their support unfavourably with NHS staff, who "
        "have a wellbeing service, free parking and recognition schemes.",
        "The nurses get a wellbeing hub. We get a thank-you card at Christmas.",
    ),
    _ev(
        "weekend-discharge",
        "Few discharges at weekends",
        "data-profile",
        "outcomes",
        "concern",
        "WF6 LG7",
        "step-down",
        "acute council",
        -30,
        "r3",
        "About one in seven discharges after an emergency admission happen on a Saturday or Sunday, "
        "below England and similar areas. At weekends the council has one duty social worker for the "
        "hospital and few home care starts.",
        tags="discharge,seven-day",
    ),
    # Information sharing
    _ev(
        "four-logins",
        "Discharge coordinators work across four systems",
        "observation",
        "observation",
        "concern",
        "IS1 IS3",
        "crisis step-down",
        "acute council community",
        1,
        "r1",
        "A discharge coordinator used four separate systems to plan one person's discharge. The shared "
        "care record links GP and hospital records but not the council's social care record, so she "
        "phoned the council to find out about the person's existing care.",
        "I have four logins and none of them talk to each other.",
        "records",
    ),
    _ev(
        "ig-survey",
        "Staff unsure what they may share",
        "survey",
        "staff-leaders",
        "concern",
        "IS2",
        "all",
        "acute community council providers",
        -7,
        "r3",
        "Almost half of frontline staff said they were unsure whether they could share information about "
        "a person with a care home or home care agency, and so often did not.",
    ),
    _ev(
        "data-sharing-agreement",
        "System data sharing agreement signed",
        "document-review",
        "processes",
        "strength",
        "IS2",
        "all",
        "council icb acute community gpfed",
        -18,
        "r1",
        "All five statutory partners signed one data sharing agreement covering direct care last year. "
        "It is clear and short, but few staff we met knew it existed.",
    ),
    _ev(
        "medication-incidents",
        "People arriving at care homes without medication details",
        "complaints-incidents",
        "outcomes",
        "concern",
        "IS3 LC1",
        "step-down",
        "acute providers",
        -9,
        "r2",
        "Care homes reported 23 incidents in a year in which someone arrived from hospital without up to "
        "date information about their medicines. Several led to missed doses.",
        tags="safety",
    ),
    _ev(
        "mystery-shopping",
        "Healthwatch mystery shopping of information and advice",
        "partner-feedback",
        "people-experience",
        "concern",
        "IS4",
        "staying-well",
        "healthwatch council",
        -6,
        "r2",
        "Volunteers tried to find out how to get help at home for an older relative. Most gave up or "
        "were sent between the council's website, the NHS and a voluntary organisation.",
        "The website sent me round in a circle and back to where I started.",
    ),
    _ev(
        "single-point",
        "Single point of access for urgent help",
        "observation",
        "observation",
        "strength",
        "IS4 RE2",
        "crisis staying-well",
        "community council",
        2,
        "r1",
        "A phone line staffed by a nurse and a social care adviser side by side. About four in five calls "
        "were resolved first time, often by arranging a visit the same day.",
    ),
    _ev(
        "flow-data",
        "Daily flow data shared, but counted differently",
        "document-review",
        "processes",
        "context",
        "IS5 LC6",
        "step-down",
        "acute council icb",
        -13,
        "r3",
        "Partners share a daily report of people waiting to leave hospital. The hospital and the council "
        "count delays differently, and meetings often start by arguing about the numbers.",
        tags="data",
    ),
    # Learning culture
    _ev(
        "safeguarding-reviews",
        "Safeguarding reviews carried out jointly",
        "complaints-incidents",
        "processes",
        "strength",
        "LC1",
        "all",
        "council acute",
        -14,
        "r2",
        "The safeguarding adults board runs joint reviews of cases involving several organisations. A "
        "themed review of unsafe discharges last year led to a new checklist now used on every ward.",
    ),
    _ev(
        "complaints-separate",
        "Complaints crossing organisations handled twice",
        "complaints-incidents",
        "people-experience",
        "concern",
        "LC1 RE5",
        "all",
        "council acute",
        -9,
        "r3",
        "A complaint about a failed discharge home was investigated separately by the hospital and the "
        "council. The family received two replies, 94 days after complaining, which disagreed with "
        "each other.",
    ),
    _ev(
        "d2a-evaluation",
        "Evaluation of the discharge to assess pilot",
        "document-review",
        "outcomes",
        "strength",
        "LC2",
        "step-down",
        "council acute icb",
        -17,
        "r1",
        "Partners evaluated two discharge to assess models. They stopped the one that moved people into "
        "interim beds and expanded the one that assessed people at home, citing better outcomes.",
    ),
    _ev(
        "virtual-ward",
        "Virtual ward not yet evaluated",
        "interview",
        "staff-leaders",
        "concern",
        "LC2",
        "crisis",
        "acute icb",
        4,
        "r3",
        "A virtual ward for frail older people has run for 18 months and is to be extended. Nobody could "
        "tell us whether it had reduced admissions, because no evaluation had been planned.",
    ),
    _ev(
        "improvement-method",
        "Two improvement methods in one system",
        "interview",
        "staff-leaders",
        "context",
        "LC3",
        "all",
        "acute community council",
        3,
        "r2",
        "The NHS trusts use one quality improvement method and the council another. Joint training "
        "started this year; staff on joint projects said the difference had slowed them down.",
    ),
    _ev(
        "peer-review-actions",
        "Actions from the last peer review only partly done",
        "document-review",
        "processes",
        "concern",
        "LC4",
        "all",
        "council icb",
        -20,
        "r1",
        "A peer review two years ago made nine recommendations. Four actions are complete; progress on "
        "the others is not reported to any joint board.",
    ),
    _ev(
        "speak-up",
        "Staff say they can raise concerns",
        "survey",
        "staff-leaders",
        "context",
        "LC5",
        "all",
        "acute community council",
        -7,
        "r3",
        "Most staff said they could raise a concern in their own organisation. Fewer felt able to raise "
        "one about another organisation, fearing it would be taken as blame.",
    ),
    _ev(
        "leaders-openness",
        "Leaders speak openly about what is not working",
        "interview",
        "staff-leaders",
        "strength",
        "LC5 RE1",
        "all",
        "council icb acute",
        4,
        "lead",
        "In interviews leaders readily named their own organisation's part in delays, rather than "
        "blaming partners. Several asked the review team to be frank in the report.",
    ),
    _ev(
        "delay-audit",
        "Joint audit of 30 delayed discharges",
        "document-review",
        "outcomes",
        "strength",
        "LC6 LC3 LG7",
        "step-down",
        "acute council",
        -13,
        "r2",
        "Partners audited 30 long delays together. In two in five, planning for discharge had not started "
        "until the person was medically ready. The audit has led to earlier referrals on two wards.",
    ),
    _ev(
        "case-c",
        "Case tracking: Mrs C, 92, care home resident with dementia",
        "case-tracking",
        "people-experience",
        "concern",
        "FC7 IS3 LC6 RE3",
        "crisis step-down",
        "providers acute gpfed",
        3,
        "r1",
        "Mrs C was taken to A&E at night after a fall in her care home. She spent seven hours there, "
        "confused and without her glasses, and was sent back at 5am without a discharge letter. The care "
        "home did not know what treatment she had received.",
        "She came back frightened and we had nothing to tell her family.",
        "case tracking,care homes",
    ),
    # Staying well, crisis and step-down: more of the journey
    _ev(
        "falls-classes",
        "Strength and balance classes well used",
        "data-profile",
        "outcomes",
        "strength",
        "FC5 SV3",
        "staying-well",
        "council vcs",
        -26,
        "r2",
        "About 1,100 people attended strength and balance classes last year. Falls admissions among "
        "those aged 80 and over have fallen slightly against a rising trend in similar areas.",
    ),
    _ev(
        "frailty-register",
        "GP frailty registers guide proactive care",
        "document-review",
        "processes",
        "strength",
        "SV3 LC6",
        "staying-well",
        "gpfed",
        -11,
        "r2",
        "Every practice keeps a register of people with moderate or severe frailty. The federation uses "
        "it to invite people for a review and to target the neighbourhood teams.",
    ),
    _ev(
        "carers-assessments",
        "Carers' assessments backlog",
        "data-profile",
        "outcomes",
        "concern",
        "FC5 RE5",
        "staying-well",
        "council",
        -28,
        "r3",
        "About 400 carers are waiting for an assessment, some for over six months. Satisfaction among "
        "carers is below the England figure.",
        tags="carers",
    ),
    _ev(
        "urgent-response",
        "Urgent community response mostly within two hours",
        "data-profile",
        "outcomes",
        "strength",
        "FC4 WF6",
        "crisis",
        "community",
        -27,
        "r1",
        "About three quarters of urgent community response visits started within two hours, above the "
        "national standard. Falls without injury are the most common reason for a call.",
    ),
    _ev(
        "ae-waits",
        "Older people waiting more than 12 hours in A&E",
        "data-profile",
        "outcomes",
        "concern",
        "LG3 LG7",
        "crisis",
        "acute",
        -29,
        "r3",
        "In the last quarter about one in eleven people aged 75 and over spent more than 12 hours in A&E. "
        "Bed occupancy above 95% on most days means few beds are free when decisions to admit are made.",
        tags="flow",
    ),
    _ev(
        "frailty-team-ae",
        "Frailty team at the front door",
        "observation",
        "observation",
        "strength",
        "RE2 WF4",
        "crisis",
        "acute council",
        0,
        "r2",
        "A geriatrician, therapists and a social worker see frail older people in A&E. Almost a third of "
        "those they saw during our visit went home the same day with support arranged.",
    ),
    _ev(
        "ambulance-handovers",
        "Ambulance handovers delayed at the main hospital",
        "partner-feedback",
        "partners",
        "concern",
        "RE6 LG4",
        "crisis",
        "icb acute",
        -3,
        "r3",
        "The ambulance service reported handover delays of over an hour on about a fifth of arrivals in "
        "winter, with older people waiting in ambulances outside.",
    ),
    _ev(
        "provider-ratings",
        "Regulatory ratings of local care providers",
        "provider-ratings",
        "outcomes",
        "context",
        "FC3 RE3",
        "all",
        "providers",
        -29,
        "r1",
        "About four in five care homes and home care agencies are rated good or outstanding, close to "
        "England. Two nursing homes are rated inadequate and are supported by the council's quality team.",
    ),
    _ev(
        "home-care-complaints",
        "Complaints about late and missed home care visits",
        "complaints-incidents",
        "people-experience",
        "concern",
        "FC3 WF2",
        "step-down",
        "council providers",
        -9,
        "r2",
        "Complaints about home care doubled in a year; most concern late or missed visits in rural areas, "
        "where care workers travel long distances between calls.",
    ),
    _ev(
        "overview-narrative",
        "System overview return: the system's own account",
        "system-overview-return",
        "staff-leaders",
        "context",
        "SV1 SV4 LG2 FC1",
        "all",
        "council icb acute community",
        -25,
        "lead",
        "Partners describe a system with strong relationships at the top, a shared strategy and a "
        "long-running problem with discharge delays that they attribute mainly to the care market.",
    ),
    _ev(
        "overview-governance",
        "System overview return: map of joint boards",
        "system-overview-return",
        "processes",
        "context",
        "LG2",
        "all",
        "council icb",
        -25,
        "r1",
        "The return lists eleven joint boards and groups touching older people's care. Several have "
        "overlapping remits and the same members.",
    ),
    _ev(
        "sa-workshop",
        "Self-assessment workshop: why leaders' ratings differ",
        "self-assessment",
        "staff-leaders",
        "context",
        "LC5 RE1 LG7",
        "all",
        "council icb acute community gpfed",
        -10,
        "lead",
        "Leaders met to discuss their self-assessment. The widest differences were about discharge and "
        "the care market: the council rated hospital discharge processes poorly, while the NHS partners "
        "rated the care market poorly. The discussion was candid and good humoured.",
    ),
    _ev(
        "healthwatch-discharge",
        "Healthwatch report: leaving hospital",
        "partner-feedback",
        "people-experience",
        "concern",
        "RE5 IS3 LG7",
        "step-down",
        "healthwatch",
        -5,
        "r2",
        "Healthwatch spoke to 62 people recently discharged. About half had not been told when they "
        "would go home until the day itself, and a third did not know whom to call if things went wrong.",
    ),
    _ev(
        "case-d",
        "Case tracking: Mr D, 74, recovery after a stroke",
        "case-tracking",
        "people-experience",
        "context",
        "FC4 FC2 RE5",
        "step-down",
        "community council",
        3,
        "r3",
        "Mr D had good rehabilitation in a step-down bed and is walking again. He moved four times in six "
        "weeks, from ward to ward, to the step-down unit and home, and each move brought new staff who did "
        "not know his story.",
        "The care was good. It was the moving about that wore me down.",
        "case tracking",
    ),
    _ev(
        "case-e",
        "Case tracking: Mrs E, 81, kept well at home",
        "case-tracking",
        "people-experience",
        "strength",
        "RE2 RE4 IS1 SV3",
        "staying-well",
        "gpfed community council vcs",
        2,
        "r2",
        "Mrs E lives alone with heart failure. Her practice's care coordinator knows her well, the "
        "neighbourhood team reviews her monthly and a social prescriber linked her to a lunch club. She "
        "has not been admitted for over a year.",
        "I've got one number to ring and they always know who I am.",
        "case tracking",
    ),
    _ev(
        "ward-discharge-planning",
        "Discharge planning on a medical ward",
        "observation",
        "observation",
        "concern",
        "LG7 IS3 WF3",
        "step-down",
        "acute council",
        4,
        "r1",
        "On the ward round, discharge was discussed for only two of fourteen patients. The ward's social "
        "worker was shared with three other wards and had not been invited.",
    ),
    _ev(
        "dass-interview",
        "Interview with the director of adult social services",
        "interview",
        "staff-leaders",
        "context",
        "LG1 FC6 RE1",
        "all",
        "council",
        0,
        "lead",
        "The director was candid about the council's part in delays, especially home care in the west, "
        "and about the time lost to disputes with the NHS over funding.",
        "We spend more time arguing about who pays than about who is waiting.",
    ),
    # More voices on leadership, staff and learning
    _ev(
        "providers-leaders",
        "Care providers rarely meet NHS leaders",
        "partner-feedback",
        "partners",
        "concern",
        "LG5 RE3",
        "step-down",
        "providers",
        -4,
        "r3",
        "The providers' association said council leaders attend its meetings each quarter, but no NHS "
        "director has visited a care home or agency as part of the system's leadership visits.",
    ),
    _ev(
        "care-sickness",
        "Sickness absence among care workers",
        "data-profile",
        "outcomes",
        "concern",
        "WF5 WF2",
        "all",
        "providers council",
        -29,
        "r1",
        "Care workers lose about nine days a year each to sickness, a third more than NHS community staff "
        "locally. Stress is the most common reason recorded.",
        tags="workforce",
    ),
    _ev(
        "improvement-training",
        "Joint improvement training programme",
        "document-review",
        "processes",
        "context",
        "LC3 LC2",
        "all",
        "acute community council",
        -12,
        "r2",
        "A joint programme began this year to train staff from all partners in one shared improvement "
        "approach. Forty staff have started; the first joint projects report in the spring.",
    ),
    _ev(
        "peer-review-interview",
        "Leaders on the last peer review",
        "interview",
        "staff-leaders",
        "context",
        "LC4 LC5",
        "all",
        "council icb",
        4,
        "lead",
        "Leaders agreed the last peer review had been right about discharge, and said its actions "
        "slipped when the people who owned them moved on.",
    ),
)


# Ratings -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineSeed:
    """How each group rated one line: the five self-assessors (in SELF_ASSESSORS order), the three
    reviewers, and the lead's moderated rating with its reasons."""

    self_assessment: tuple[int, int, int, int, int]
    team: tuple[int, int, int]
    moderated: int
    rationale: str


LINES: dict[str, LineSeed] = {
    "SV1": LineSeed(
        (4, 4, 3, 3, 3),
        (3, 3, 3),
        3,
        "Leaders share one strategy and describe it alike at the top; the hospital trust still frames it "
        "around beds.",
    ),
    "SV2": LineSeed(
        (3, 3, 3, 2, 2),
        (2, 2, 2),
        2,
        "Older people and carers commented on a finished draft; the voluntary sector was not involved in "
        "shaping it.",
    ),
    "SV3": LineSeed(
        (3, 3, 3, 3, 4),
        (3, 3, 3),
        3,
        "A sound needs assessment and frailty registers inform the strategy, though hospital flow data are "
        "not yet used.",
    ),
    "SV4": LineSeed(
        (4, 3, 3, 3, 3),
        (3, 3, 2),
        3,
        "A delivery plan with owners and dates covers the pathway, with thinner actions for the crisis "
        "stage.",
    ),
    "SV5": LineSeed(
        (3, 3, 2, 3, 3),
        (2, 2, 2),
        2,
        "Shared outcomes are agreed but not yet reported or used to judge success together.",
    ),
    "SV6": LineSeed(
        (3, 3, 2, 2, 2),
        (2, 1, 2),
        2,
        "Frontline staff and providers know little of the vision beyond a slogan.",
    ),
    "LG1": LineSeed(
        (3, 4, 3, 3, 3),
        (3, 3, 3),
        3,
        "Leaders challenge each other openly and have moved money to where waits are longest.",
    ),
    "LG2": LineSeed(
        (3, 3, 2, 3, 2),
        (2, 2, 2),
        2,
        "Many overlapping boards; decisions are often deferred and their owners unclear.",
    ),
    "LG3": LineSeed(
        (2, 3, 3, 2, 2),
        (2, 2, 2),
        2,
        "The shared dashboard covers hospital measures only and has no social care outcomes.",
    ),
    "LG4": LineSeed(
        (3, 3, 3, 3, 3),
        (3, 3, 3),
        3,
        "Provider failure and escalation were handled jointly and well, though handover delays persist in "
        "winter.",
    ),
    "LG5": LineSeed(
        (3, 3, 3, 3, 2),
        (3, 3, 2),
        3,
        "Leaders have spent time with frontline teams and staff noticed the difference.",
    ),
    "LG6": LineSeed(
        (3, 2, 2, 3, 2),
        (2, 2, 2),
        2,
        "Elected members are well informed; non-executives know little of the joint arrangements.",
    ),
    "LG7": LineSeed(
        (1, 3, 4, 1, 4),
        (1, 2, 1),
        1,
        "Daily flow is managed meeting by meeting without escalation; long waits for home care and late "
        "discharge planning are routine.",
    ),
    "RE1": LineSeed(
        (2, 4, 4, 3, 4),
        (3, 3, 3),
        3,
        "Senior relationships are open and candid, though council managers feel they carry less weight.",
    ),
    "RE2": LineSeed(
        (3, 3, 2, 3, 3),
        (2, 2, 3),
        2,
        "Good joint working in neighbourhood teams and at the front door, but little continuity on the "
        "wards.",
    ),
    "RE3": LineSeed(
        (4, 2, 2, 2, 3),
        (2, 2, 2),
        2,
        "Care providers do not feel treated as partners: late fee decisions and late-notice discharges.",
    ),
    "RE4": LineSeed(
        (3, 3, 2, 3, 3),
        (2, 2, 2),
        2,
        "The voluntary sector delivers valued services but is left out of planning.",
    ),
    "RE5": LineSeed(
        (3, 3, 3, 3, 3),
        (2, 2, 2),
        2,
        "Good reablement experiences, but many people repeat their story and carers are not asked whether "
        "they can cope.",
    ),
    "RE6": LineSeed(
        (2, 3, 3, 2, 2),
        (2, 2, 2),
        2,
        "Cross-border discharges are slower and the ambulance service faces different pathways in each area.",
    ),
    "FC1": LineSeed(
        (3, 3, 2, 2, 2),
        (2, 2, 2),
        2,
        "Most of the pooled budget rolls over existing services without review.",
    ),
    "FC2": LineSeed(
        (4, 3, 3, 3, 3),
        (3, 3, 3),
        3,
        "Step-down beds are commissioned jointly under one specification; other joint commissioning is "
        "limited.",
    ),
    "FC3": LineSeed(
        (4, 1, 1, 3, 3),
        (1, 1, 2),
        1,
        "Home care is badly short in the rural west and the market position statement is out of date.",
    ),
    "FC4": LineSeed(
        (4, 2, 1, 2, 3),
        (2, 2, 2),
        2,
        "Reablement works well for those who get it but is sized well below demand.",
    ),
    "FC5": LineSeed(
        (3, 3, 3, 3, 3),
        (3, 3, 3),
        3,
        "A joint prevention fund pays for falls classes and carers' breaks, though carers wait for "
        "assessments.",
    ),
    "FC6": LineSeed(
        (2, 3, 3, 3, 3), (2, 2, 2), 2, "Funding disputes take weeks while people wait in interim beds."
    ),
    "FC7": LineSeed(
        (3, 3, 3, 3, 4),
        (3, 3, 3),
        3,
        "Every care home has an aligned practice and admissions from care homes are below England, despite "
        "poor night-time handling.",
    ),
    "WF1": LineSeed(
        (2, 3, 2, 2, 2),
        (2, 2, 2),
        2,
        "No joint workforce plan; independent providers are left out of NHS planning.",
    ),
    "WF2": LineSeed(
        (2, 2, 1, 2, 2),
        (1, 1, 1),
        1,
        "Social care vacancies and turnover are far above England and home care cannot meet demand.",
    ),
    "WF3": LineSeed(
        (3, 3, 3, 3, 3),
        (3, 2, 3),
        3,
        "Trusted assessors and reablement staff show good skills across boundaries.",
    ),
    "WF4": LineSeed(
        (3, 3, 3, 4, 3), (3, 3, 3), 3, "A joint apprenticeship and frailty roles bridge health and care."
    ),
    "WF5": LineSeed(
        (3, 3, 3, 3, 2),
        (2, 2, 2),
        2,
        "Support for staff wellbeing depends on the employer; care workers feel undervalued.",
    ),
    "WF6": LineSeed(
        (2, 2, 2, 2, 2),
        (2, 2, 2),
        2,
        "Weekend social work and home care starts are thin, so weekend discharges are low.",
    ),
    "IS1": LineSeed(
        (2, 3, 3, 2, 3), (2, 2, 2), 2, "The shared record links GP and hospital but not social care."
    ),
    "IS2": LineSeed(
        (3, 3, 3, 3, 3),
        (2, 2, 3),
        2,
        "A good data sharing agreement exists but many staff are unsure what they may share.",
    ),
    "IS3": LineSeed(
        (1, 3, 4, 3, 1),
        (1, 1, 2),
        1,
        "People arrive at care homes and at home without the information needed to care for them safely.",
    ),
    "IS4": LineSeed(
        (3, 2, 2, 2, 2),
        (2, 2, 2),
        2,
        "A good single point of access, but public information sends people round in circles.",
    ),
    "IS5": LineSeed(
        (3, 3, 3, 3, 3),
        (2, 2, 2),
        2,
        "Daily data are shared but counted differently, so meetings argue about the numbers.",
    ),
    "LC1": LineSeed(
        (3, 3, 3, 3, 3),
        (2, 3, 2),
        2,
        "Joint safeguarding reviews are a strength; complaints crossing organisations are handled twice.",
    ),
    "LC2": LineSeed(
        (3, 3, 3, 3, 3),
        (3, 3, 2),
        3,
        "The discharge to assess pilot was evaluated and acted on, but the virtual ward has not been.",
    ),
    "LC3": LineSeed(
        (3, 3, 2, 3, 3),
        (2, 2, 2),
        2,
        "Two improvement methods slow joint projects; joint training has only just begun.",
    ),
    "LC4": LineSeed(
        (3, 3, 3, 3, 3),
        (2, 2, 2),
        2,
        "Actions from the last peer review are only partly done and not reported jointly.",
    ),
    "LC5": LineSeed(
        (3, 3, 3, 3, 3),
        (3, 3, 3),
        3,
        "Leaders are candid about their own part in problems; staff are more wary of raising concerns about "
        "partners.",
    ),
    "LC6": LineSeed(
        (3, 3, 3, 3, 4),
        (3, 3, 3),
        3,
        "A joint audit of delays and frailty registers show partners studying journeys together.",
    ),
}

# Self-assessors' reasons where their view stands out from the others'.
SELF_ASSESSMENT_REASONS: dict[tuple[str, str], str] = {
    (
        "sa_council",
        "LG7",
    ): "Discharge planning starts too late on the wards and referrals reach us on the day.",
    ("sa_acute", "LG7"): "Our discharge processes are sound; people wait because there is no care to go to.",
    ("sa_community", "LG7"): "The daily meeting repeats itself; nobody can unblock a case in the room.",
    ("sa_council", "FC3"): "We have kept fees above inflation and no home has closed for financial reasons.",
    ("sa_icb", "FC3"): "Home care in the west is not available for days at a time.",
    ("sa_acute", "FC3"): "Most of our delayed patients are waiting for home care or a nursing bed.",
    ("sa_council", "IS3"): "Discharge letters reach us late or not at all.",
    ("sa_gpfed", "IS3"): "Practices often learn of a discharge when the patient phones us.",
    ("sa_acute", "IS3"): "Every patient leaves with an electronic discharge summary.",
    ("sa_council", "RE1"): "Relationships are cordial but the NHS sets the agenda.",
}


# Findings and recommendations ---------------------------------------------------------------------


@dataclass(frozen=True)
class FindingSeed:
    kind: str
    domain: str
    stage: str
    text: str
    cites: tuple[str, ...]


def _finding(kind: str, domain: str, stage: str, cites: str, text: str) -> FindingSeed:
    return FindingSeed(kind, domain, stage, text, tuple(cites.split()))


FINDINGS = (
    _finding(
        "strength",
        "shared-vision",
        "",
        "strategy delivery-plan ceo-interviews",
        "System leaders share one strategy for older people, approved by the council and the ICB, and "
        "turned into a delivery plan with owners and dates.",
    ),
    _finding(
        "improvement",
        "shared-vision",
        "",
        "ward-staff-group provider-newsletter",
        "The vision is owned at the top but barely known on the wards, in home care agencies and in "
        'care homes: to most frontline staff "home first" is a slogan.',
    ),
    _finding(
        "improvement",
        "shared-vision",
        "",
        "older-peoples-forum outcomes-framework",
        "Older people and carers were consulted on a finished draft rather than involved in shaping "
        "the strategy, and the shared outcomes agreed last year are not yet reported together.",
    ),
    _finding(
        "strength",
        "leadership-governance",
        "",
        "leaders-meeting provider-failure escalation-plan",
        "Leaders act together under pressure: the closure of a nursing home was handled by one joint "
        "team, and escalation plans are used in practice.",
    ),
    _finding(
        "improvement",
        "leadership-governance",
        "step-down",
        "bed-meeting d2a-data case-a ward-discharge-planning",
        "Day-to-day discharge is managed meeting by meeting. The daily bed meeting revisits the same "
        "people without a route to escalate them, and planning for discharge often starts only when "
        "someone is medically ready to leave.",
    ),
    _finding(
        "improvement",
        "leadership-governance",
        "",
        "hwb-minutes neds overview-governance",
        "Governance is crowded: eleven joint boards overlap, decisions are often deferred, and "
        "non-executives cannot say where joint decisions are made.",
    ),
    _finding(
        "strength",
        "relationships",
        "staying-well",
        "neighbourhood-team case-e",
        "In the neighbourhood teams, GPs, district nurses, social workers and the voluntary sector "
        "work as one team around people at risk, and people notice the difference.",
    ),
    _finding(
        "improvement",
        "relationships",
        "",
        "care-home-survey home-care-group provider-newsletter",
        "Care homes and home care agencies are not treated as equal partners: they learn of changes "
        "late, are left out of planning and hear about discharges at the end of the week.",
    ),
    _finding(
        "improvement",
        "relationships",
        "",
        "carers-group case-a healthwatch-discharge",
        "People still repeat their story to several professionals, and carers are rarely asked "
        "whether they can cope before someone comes home.",
    ),
    _finding(
        "strength",
        "funding-commissioning",
        "",
        "step-down-beds prevention-fund care-home-support",
        "Where partners commission together it works: jointly commissioned step-down beds, a joint "
        "prevention fund and health support for every care home.",
    ),
    _finding(
        "improvement",
        "funding-commissioning",
        "step-down",
        "home-care-hours market-statement reablement-capacity",
        "Home care and reablement fall well short of demand, especially in the rural west, and the "
        "council's picture of the care market is three years out of date.",
    ),
    _finding(
        "improvement",
        "funding-commissioning",
        "",
        "bcf-plan finance-directors chc-in-hospital",
        "Most of the pooled budget rolls over existing services, and disputes over who pays take "
        "weeks while people wait in interim beds.",
    ),
    _finding(
        "strength",
        "workforce",
        "",
        "trusted-assessors apprenticeship frailty-team-ae",
        "New roles bridge the sectors: trusted assessors accepted by care homes, a joint health and "
        "care apprenticeship and a frailty team at the front door.",
    ),
    _finding(
        "improvement",
        "workforce",
        "",
        "workforce-plan care-workforce-data wellbeing-group",
        "There is no joint workforce plan. Social care vacancies and turnover are far above England, "
        "and care workers feel less valued than their NHS colleagues.",
    ),
    _finding(
        "improvement",
        "workforce",
        "step-down",
        "weekend-discharge district-nursing",
        "Services are not staffed seven days a week: with one duty social worker and few home care "
        "starts at weekends, few people leave hospital on a Saturday or Sunday.",
    ),
    _finding(
        "strength",
        "information-sharing",
        "crisis",
        "single-point data-sharing-agreement",
        "A single point of access staffed by health and social care side by side resolves most urgent "
        "calls first time, and a clear data sharing agreement is in place.",
    ),
    _finding(
        "improvement",
        "information-sharing",
        "step-down",
        "four-logins medication-incidents case-c",
        "Information does not travel with people: social care records are outside the shared record, "
        "and people reach care homes without details of their medicines.",
    ),
    _finding(
        "improvement",
        "information-sharing",
        "",
        "mystery-shopping flow-data ig-survey",
        "Older people and carers struggle to find advice, staff are unsure what they may share, and "
        "partners count delays differently.",
    ),
    _finding(
        "strength",
        "learning-culture",
        "",
        "d2a-evaluation delay-audit safeguarding-reviews",
        "Partners learn together: they evaluated the discharge to assess pilot and acted on it, "
        "audited long delays jointly and review safeguarding cases together.",
    ),
    _finding(
        "improvement",
        "learning-culture",
        "",
        "complaints-separate virtual-ward peer-review-actions",
        "Complaints that cross organisations are handled twice, new services such as the virtual ward "
        "are extended without evaluation, and past review actions are only partly done.",
    ),
    _finding(
        "strength",
        "",
        "staying-well",
        "falls-classes frailty-register",
        "Prevention is well developed: strength and balance classes are well used and GP frailty "
        "registers target proactive care.",
    ),
    _finding(
        "improvement",
        "",
        "staying-well",
        "carers-assessments mystery-shopping",
        "Carers wait months for an assessment, and information about getting help at home is hard to find.",
    ),
    _finding(
        "strength",
        "",
        "crisis",
        "urgent-response frailty-team-ae",
        "Urgent community response mostly arrives within two hours, and the frailty team sends almost a "
        "third of the frail older people it sees in A&E home the same day.",
    ),
    _finding(
        "improvement",
        "",
        "crisis",
        "ae-waits ambulance-handovers case-c",
        "With the hospital almost always full, older people wait too long in A&E and in ambulances, and "
        "care home residents are sent back at night without information.",
    ),
    _finding(
        "strength",
        "",
        "step-down",
        "case-b d2a-evaluation hospital-to-home",
        "For those who get it, reablement restores independence, and volunteers help people settle at "
        "home after a hospital stay.",
    ),
    _finding(
        "improvement",
        "",
        "step-down",
        "case-d healthwatch-discharge cross-border",
        "People are moved too often after a hospital stay, are told late when they will go home, and "
        "wait longer when discharged from the hospital across the county boundary.",
    ),
)


@dataclass(frozen=True)
class RecommendationSeed:
    text: str
    owners: tuple[str, ...]
    priority: str
    months: int  # target date this many months after seeding
    domain: str


RECOMMENDATIONS = (
    RecommendationSeed(
        "Run the daily discharge meeting jointly, with social care decision-makers present, and escalate "
        "anyone waiting more than 48 hours to senior managers of both organisations the same day.",
        ("acute", "council"),
        "high",
        3,
        "leadership-governance",
    ),
    RecommendationSeed(
        "Commission enough home care and reablement to meet demand, starting with the rural west, and "
        "refresh the market position statement with providers.",
        ("council", "icb"),
        "high",
        12,
        "funding-commissioning",
    ),
    RecommendationSeed(
        "Make sure people's information travels with them: give discharge staff access to social care "
        "records and send care homes medication details before the person arrives.",
        ("acute", "council", "icb"),
        "high",
        9,
        "information-sharing",
    ),
    RecommendationSeed(
        "Write one workforce plan for health and social care that includes independent care providers, "
        "with joint action on recruitment and retention of care workers.",
        ("icb", "council", "providers"),
        "high",
        12,
        "workforce",
    ),
    RecommendationSeed(
        "Report the nine shared outcomes for older people jointly to both boards, and use them to judge "
        "the strategy's success.",
        ("council", "icb"),
        "medium",
        6,
        "shared-vision",
    ),
    RecommendationSeed(
        "Treat care providers as partners: give them a seat on the groups that plan discharge and winter, "
        "and agree fees before the financial year starts.",
        ("council", "icb", "providers"),
        "medium",
        6,
        "relationships",
    ),
    RecommendationSeed(
        "Settle disputes over who pays within two weeks, with an agreed rule for funding people while a "
        "dispute is open, and carry out continuing healthcare assessments outside hospital.",
        ("icb", "council"),
        "medium",
        4,
        "funding-commissioning",
    ),
    RecommendationSeed(
        "Involve older people, carers, Healthwatch and the voluntary sector in revising the strategy and "
        "its delivery plan, and tell them what changed as a result.",
        ("council", "icb", "healthwatch", "vcs"),
        "medium",
        9,
        "shared-vision",
    ),
    RecommendationSeed(
        "Make discharge a seven-day service: social work cover and home care starts at weekends.",
        ("council", "acute", "community"),
        "medium",
        12,
        "workforce",
    ),
    RecommendationSeed(
        "Offer every carer an assessment before the person they care for leaves hospital, and clear the "
        "backlog of carers' assessments.",
        ("council", "vcs"),
        "medium",
        6,
        "",
    ),
    RecommendationSeed(
        "Create one route for complaints that cross organisations, with a single reply to the person.",
        ("council", "acute", "community"),
        "low",
        6,
        "learning-culture",
    ),
    RecommendationSeed(
        "Evaluate the virtual ward before it is extended, and plan the evaluation of every new service "
        "from the start.",
        ("icb", "acute"),
        "low",
        9,
        "learning-culture",
    ),
)


REPORT_TEXT = {
    "people_experience": (
        "Many older people in Northshire are well supported to stay at home. Those who know their "
        "neighbourhood team or their practice's care coordinator told us they have one number to ring "
        "and are known when they call. People who had reablement after a hospital stay spoke warmly of "
        "staff who asked what mattered to them.\n\n"
        "The picture changes when someone needs to leave hospital with new care. People wait days for "
        "home care, especially in the west of the county; they are told late when they will go home; "
        "and they repeat their story to one professional after another. Carers are often expected to "
        "fill the gap without being asked whether they can.\n\n"
        "Care home residents are well supported by their GP practice day to day, but a night-time trip "
        "to A&E can be long and frightening, and they may return without information about what "
        "happened."
    ),
    "summary": (
        "System leaders in Northshire share a clear strategy for older people and relate to each other "
        "openly. They act well together in a crisis, as the closure of a nursing home showed, and where "
        "they commission together the results are good.\n\n"
        "The system does not yet turn that shared intent into a smooth journey out of hospital. Home "
        "care and reablement are well short of demand, discharge is managed day by day without a route "
        "to escalate, and information does not travel with people. Care providers and the voluntary "
        "sector are not treated as partners, and there is no joint plan for the workforce on which "
        "everything depends.\n\n"
        "Leaders were candid about these problems and have started to study them together. The "
        "recommendations that follow ask them to make the most of that candour."
    ),
    "scope_note": (
        "This review looked at how health and social care work together for people aged 65 and over in "
        "Northshire, across three stages of their journey: staying well at home, care and support in a "
        "crisis, and step-down after a hospital stay. It was carried out by a team of four reviewers over "
        "one week on site, after a system overview return, a self-assessment by five partners and a "
        "review of data and documents.\n\n"
        "It did not inspect individual services or organisations, and it does not rate any of them. "
        "Northshire is a fictional place: this is demonstration content."
    ),
}


@dataclass(frozen=True)
class IndicatorSeed:
    value: float
    england: float
    similar: float
    period: str
    source: str
    note: str = ""


INDICATORS: dict[str, IndicatorSeed] = {
    "emergency-admissions-65": IndicatorSeed(26850, 24610, 25300, "2024-25", "Hospital episode statistics"),
    "long-stays-65": IndicatorSeed(22, 19, 20, "2024-25", "Hospital episode statistics"),
    "delayed-days": IndicatorSeed(
        19.8,
        12.3,
        13.5,
        "2019-20",
        "Delayed transfers of care collection",
        "The national collection stopped in March 2020; kept to show the long-running problem.",
    ),
    "not-meeting-criteria-to-reside": IndicatorSeed(
        24.6, 18.9, 20.1, "April to September 2025", "Acute discharge situation report"
    ),
    "reablement-effectiveness": IndicatorSeed(
        84.1, 82.3, 83.0, "2024-25", "Adult social care outcomes framework"
    ),
    "reablement-coverage": IndicatorSeed(2.1, 2.9, 2.7, "2024-25", "Adult social care outcomes framework"),
    "care-home-admissions-65": IndicatorSeed(
        612, 566, 590, "2024-25", "Adult social care outcomes framework"
    ),
    "weekend-discharges": IndicatorSeed(14.2, 17.9, 17.1, "2024-25", "Hospital episode statistics"),
    "readmissions-30-day-65": IndicatorSeed(15.8, 14.6, 15.0, "2024-25", "Hospital episode statistics"),
    "admissions-from-care-homes": IndicatorSeed(
        208, 225, 231, "2024-25", "Hospital episode statistics and care home bed counts"
    ),
    "ae-attendances-65": IndicatorSeed(392, 371, 380, "2024-25", "A&E attendance data"),
    "discharge-to-usual-residence": IndicatorSeed(88.4, 91.2, 90.6, "2024-25", "Hospital episode statistics"),
    "provider-quality": IndicatorSeed(
        81.5, 81.0, 79.8, "As at the start of fieldwork", "Care regulator's ratings"
    ),
    "bed-occupancy": IndicatorSeed(95.1, 93.3, 93.9, "Winter 2024-25", "Bed availability and occupancy data"),
    "social-care-vacancy-rate": IndicatorSeed(
        11.8, 8.3, 9.1, "2024-25", "Adult social care workforce estimates"
    ),
    "social-care-turnover-rate": IndicatorSeed(
        31.2, 24.8, 26.0, "2024-25", "Adult social care workforce estimates"
    ),
    "short-term-support-outcome": IndicatorSeed(
        79.6, 77.5, 78.2, "2024-25", "Adult social care outcomes framework"
    ),
    "user-satisfaction": IndicatorSeed(61.3, 64.4, 63.9, "2024-25", "Adult social care survey"),
    "carer-satisfaction": IndicatorSeed(33.5, 36.3, 35.8, "2023-24", "Survey of adult carers"),
    "pooled-budget-share": IndicatorSeed(
        9.4, 11.2, 10.1, "2025-26", "Better Care Fund plans and local finance returns"
    ),
}


# Seeding -------------------------------------------------------------------------------------------


@dataclass
class DemoAccount:
    role: str
    name: str
    email: str


@dataclass
class DemoResult:
    """What `seed_demo` did: `created` is False when a review already existed (nothing added)."""

    created: bool
    review_id: int | None = None
    password: str = DEMO_PASSWORD
    accounts: list[DemoAccount] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _account(session: Session, person: Person, acting_user_id: int | None) -> User:
    """The person's account, made if it does not exist (a rerun after a manual reset keeps it)."""
    existing = accounts.user_by_email(session, person.email)
    if existing is not None:
        return existing
    return accounts.create_user(
        session,
        email=person.email,
        display_name=person.name,
        password=DEMO_PASSWORD,
        is_admin=person.role == "admin",
        acting_user_id=acting_user_id,
    )


def _months_ahead(today: date, months: int) -> date:
    """The last day of the month `months` months after today (targets fall at a month's end)."""
    year, month = divmod(today.month - 1 + months + 1, 12)
    return date(today.year + year, month + 1, 1) - timedelta(days=1)


def seed_demo(session: Session) -> DemoResult:
    """Create the demo review, its people and its content, unless any review exists already.

    Runs in the caller's unit of work (nothing is committed here). Raises NotFound, naming
    the command to run, when the framework the demo uses has not been loaded.
    """
    if session.exec(select(Review.id)).first() is not None:
        return DemoResult(created=False)
    try:
        frameworks.get_version(session, FRAMEWORK_KEY)
    except NotFound:
        raise NotFound(
            f"the demo needs the '{FRAMEWORK_KEY}' framework: load it first with `sysreview frameworks load`"
        ) from None
    today = utcnow().date()
    # Fieldwork ran Monday to Friday about two months before today; the review is now being written up.
    fieldwork_start = today - timedelta(days=today.weekday() + 63)
    fieldwork_end = fieldwork_start + timedelta(days=4)

    admin = _account(session, ADMIN, None)
    people = {p.key: _account(session, p, admin.id) for p in (*TEAM, *SELF_ASSESSORS)}
    lead = people["lead"]

    review = reviews.create_review_with_lead(
        session,
        user_id=admin.id,
        lead_user_id=lead.id,
        title=REVIEW_TITLE,
        place="Northshire",
        icb="Northshire and Wyebridge ICB",
        councils=["Northshire County Council"],
        kind="external_review",
        framework_key=FRAMEWORK_KEY,
        fieldwork_start=fieldwork_start,
        fieldwork_end=fieldwork_end,
    )
    orgs = _partners_and_team(session, review, lead, people)

    reviews.move_status(session, ctx=scope_for(session, review, lead), status="fieldwork")
    _evidence(session, review, people, orgs, fieldwork_start)
    _data_profile(session, review, people["r3"])
    _self_assessment(session, review, people)

    reviews.move_status(session, ctx=scope_for(session, review, lead), status="moderation")
    ratings.set_self_assessment_closed(
        session, scope=authorize(session, lead, review.id, Action.manage_review), closed=True
    )
    cited = _team_ratings_and_moderation(session, review, people)

    reviews.move_status(session, ctx=scope_for(session, review, lead), status="reporting")
    writer = people["writer"]
    _findings(session, review, writer, lead, cited)
    for rec in RECOMMENDATIONS:
        findings.create_recommendation(
            session,
            review=review,
            user_id=writer.id,
            text=rec.text,
            owner_organisation_ids=[orgs[o].id for o in rec.owners],
            priority=rec.priority,
            target_date=_months_ahead(today, rec.months),
            domain_key=rec.domain,
        )
    reviews.set_report_text(session, ctx=scope_for(session, review, writer), changes=REPORT_TEXT)

    return DemoResult(
        created=True,
        review_id=review.id,
        accounts=[
            DemoAccount(person.role, person.name, person.email) for person in (ADMIN, *TEAM, *SELF_ASSESSORS)
        ],
        counts={
            "partners": len(PARTNERS),
            "evidence": len(EVIDENCE),
            "findings": len(FINDINGS),
            "recommendations": len(RECOMMENDATIONS),
            "indicators": len(INDICATORS),
        },
    )


def _partners_and_team(
    session: Session, review: Review, lead: User, people: dict[str, User]
) -> dict[str, Organisation]:
    orgs = {
        p.key: reviews.add_organisation(
            session, ctx=scope_for(session, review, lead), name=p.name, org_type=p.org_type
        )
        for p in PARTNERS
    }
    for person in (*TEAM, *SELF_ASSESSORS):
        if person.role == "lead":
            continue  # made lead when the review was opened
        reviews.add_member(
            session,
            ctx=scope_for(session, review, lead),
            email=person.email,
            role=person.role,
            organisation_id=orgs[person.organisation].id if person.organisation else None,
        )
    return orgs


def _evidence(
    session: Session, review: Review, people: dict[str, User], orgs: dict[str, Organisation], start: date
) -> None:
    rules = evidence_service.evidence_rules(session, review)
    for seed in EVIDENCE:
        collector = people[seed.by]
        evidence_service.put_evidence(
            session,
            review=review,
            user=collector,
            evidence_id=seed.id,
            data=EvidenceUpdate(
                title=seed.title,
                narrative=seed.narrative,
                source_type=seed.source,
                category=seed.category,
                lines=list(seed.refs),
                stages=list(seed.stages),
                organisations=[orgs[o].id for o in seed.orgs],
                polarity=seed.polarity,
                collected_on=start + timedelta(days=seed.day),
                collected_by=collector.id,
                quote=seed.quote,
                tags=list(seed.tags),
            ),
            rules=rules,
        )


def _data_profile(session: Session, review: Review, analyst: User) -> None:
    for key, seed in INDICATORS.items():
        dataprofile.set_value(
            session,
            review=review,
            user_id=analyst.id,
            indicator_key=key,
            value=seed.value,
            period=seed.period,
            source=seed.source,
            england=seed.england,
            similar_areas=seed.similar,
            note=seed.note,
        )


def _self_assessment(session: Session, review: Review, people: dict[str, User]) -> None:
    for index, person in enumerate(SELF_ASSESSORS):
        scope = authorize(session, people[person.key], review.id, Action.rate_self)
        for ref, line in LINES.items():
            ratings.save_rating(
                session,
                scope=scope,
                ref=ref,
                value=line.self_assessment[index],
                rationale=SELF_ASSESSMENT_REASONS.get((person.key, ref), ""),
            )


def _evidence_for_lines() -> dict[str, list[EvidenceSeed]]:
    by_line: dict[str, list[EvidenceSeed]] = {}
    for seed in EVIDENCE:
        for ref in seed.refs:
            by_line.setdefault(ref, []).append(seed)
    return by_line


def _team_ratings_and_moderation(
    session: Session, review: Review, people: dict[str, User]
) -> dict[str, list[str]]:
    """Each reviewer rates every line citing its evidence; the lead moderates every line.
    Returns the evidence ids cited for each line."""
    framework = review_framework(session, review)
    by_line = _evidence_for_lines()
    cited: dict[str, list[str]] = {}
    scopes: list[tuple[int, ReviewScope]] = [
        (i, authorize(session, people[key], review.id, Action.rate_team)) for i, key in enumerate(REVIEWERS)
    ]
    moderator = authorize(session, people["lead"], review.id, Action.moderate)
    for ref, line in LINES.items():
        seeds = by_line[ref]
        ids = [s.id for s in _varied(seeds, 4)]
        cited[ref] = ids
        for index, scope in scopes:
            value = line.team[index]
            # Each reviewer leans on a different slice of the line's evidence, as on a real visit.
            mine = seeds[index % len(seeds) :] + seeds[: index % len(seeds)]
            ratings.save_rating(
                session,
                scope=scope,
                ref=ref,
                value=value,
                rationale=f"{framework.scale.label(value)}: weighed {_titles(mine[:2])}.",
                cited_evidence=[s.id for s in mine[:2]],
            )
        ratings.moderate(
            session,
            scope=moderator,
            ref=ref,
            value=line.moderated,
            rationale=line.rationale,
            cited_evidence=ids,
            expected_version=None,
        )
    return cited


def _varied(seeds: Sequence[EvidenceSeed], count: int) -> list[EvidenceSeed]:
    """Up to `count` seeds, one per evidence category first, so a moderated rating triangulates."""
    chosen: list[EvidenceSeed] = []
    for seed in seeds:
        if len(chosen) < count and seed.category not in {c.category for c in chosen}:
            chosen.append(seed)
    chosen += [seed for seed in seeds if seed not in chosen][: count - len(chosen)]
    return chosen


def _titles(seeds: Sequence[EvidenceSeed]) -> str:
    quoted = [f"'{s.title}'" for s in seeds]
    return " and ".join(quoted)


def _findings(
    session: Session, review: Review, writer: User, lead: User, cited: dict[str, list[str]]
) -> None:
    ids = {seed.key: seed.id for seed in EVIDENCE}
    for index, seed in enumerate(FINDINGS):
        findings.create_finding(
            session,
            review=review,
            # The report writer drafts most findings; the lead adds some of her own.
            user_id=lead.id if index % 4 == 3 else writer.id,
            kind=seed.kind,
            text=seed.text,
            domain_key=seed.domain,
            stage=seed.stage,
            cited_evidence=[ids[key] for key in seed.cites],
        )


# The command line ---------------------------------------------------------------------------------

demo_cli = typer.Typer(help="The demonstration review (fictional data).", no_args_is_help=True)


@demo_cli.command("seed")
def seed_command(
    url: Annotated[
        str, typer.Option(help="Where the app is served, for the sign-in hint.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Add the demo review and its accounts to an empty database (does nothing if any review exists)."""
    from app.core.db import session_scope
    from app.core.errors import DomainError

    try:
        with session_scope() as session:
            result = seed_demo(session)
            admin_present = accounts.user_by_email(session, ADMIN_EMAIL) is not None
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    if not result.created:
        typer.echo("demo review already present: nothing added")
        if admin_present:
            typer.echo(f"sign in at {url}/sign-in as {ADMIN_EMAIL} with the password {DEMO_PASSWORD}")
        return
    counts = ", ".join(f"{n} {what}" for what, n in result.counts.items())
    typer.echo(f"demo review created: {REVIEW_TITLE} ({counts})")
    typer.echo(f"sign in at {url}/sign-in")
    typer.echo(f"  email:    {ADMIN_EMAIL}")
    typer.echo(f"  password: {DEMO_PASSWORD}")
    typer.echo("every demo account below uses the same password (demonstration data only):")
    for account in result.accounts:
        typer.echo(f"  {account.role:<14} {account.name:<28} {account.email}")
