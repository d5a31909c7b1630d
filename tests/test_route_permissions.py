"""Every route of the app, every kind of caller: allowed or refused as the role table says.

Routes are read from the app itself, so a route added later is covered without touching this file.
A review route's required action is read from its `review_scope` dependency (the
`required_action` marker); any other route must be listed in one of the tables below, or the
classification test fails naming it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from app.accounts import service as accounts
from app.accounts.permissions import Action, Role, allows
from app.core.db import session_scope
from tests.factories import add_member, make_review, make_user

pytestmark = pytest.mark.anyio

# Routes that are not about one review, by (method, path) as the app declares them.
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/static/{path}"),
    ("GET", "/docs-assets/{path}"),  # Swagger UI's files for /docs
    ("GET", "/api/v1/frameworks"),
    ("GET", "/api/v1/frameworks/{key}"),
    ("GET", "/api/v1/frameworks/{key}/versions/{version}"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),
    ("POST", "/sign-in/code"),  # needs a signed second-step value from a password just checked
    ("POST", "/sign-in/two-factor"),  # the same
    ("POST", "/sign-out"),  # signs out whoever is signed in; harmless for anyone else
}
SIGNED_IN = {
    ("GET", "/"),
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/auth/revoke"),
    ("DELETE", "/api/v1/auth/token"),
    ("GET", "/api/v1/auth/tokens"),
    ("POST", "/api/v1/auth/tokens"),
    ("DELETE", "/api/v1/auth/tokens/{token_id}"),
    ("GET", "/account"),
    ("POST", "/account/tokens"),
    ("POST", "/account/tokens/{token_id}/revoke"),
    ("POST", "/account/password"),
    ("POST", "/account/two-factor"),
    ("POST", "/account/two-factor/confirm"),
    ("POST", "/account/two-factor/recovery-codes"),
    ("POST", "/account/two-factor/off"),
    ("GET", "/api/v1/reviews"),  # lists only the caller's own reviews (all of them for admins)
}
ADMIN_ONLY = {
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("GET", "/api/v1/users/{user_id}"),
    ("PATCH", "/api/v1/users/{user_id}"),
    ("GET", "/admin/users"),
    ("POST", "/admin/users"),
    ("GET", "/admin/users/{user_id}"),
    ("POST", "/admin/users/{user_id}"),
    ("POST", "/admin/users/{user_id}/active"),
    ("POST", "/admin/users/{user_id}/two-factor/reset"),
    ("POST", "/admin/sign-in-rules"),
    ("POST", "/api/v1/reviews"),
    ("GET", "/reviews/new"),
    ("POST", "/reviews/new"),
}

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
TEAM_READS = {Action.read_evidence, Action.read_ratings, Action.read_report}
PRE_PUBLICATION = ("planning", "fieldwork", "moderation", "reporting")


@dataclass(frozen=True)
class AppRoute:
    method: str
    path: str  # as declared, with {params}
    actions: tuple[Action, ...]  # what review_scope requires (any one of them); empty if none
    param_types: tuple[tuple[str, Any], ...]

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_page(self) -> bool:
        return not self.path.startswith(("/api/", "/healthz", "/openapi.json", "/docs", "/static"))

    @property
    def is_review_route(self) -> bool:
        return "{review_id}" in self.path


def _required_actions(dependant: Any) -> tuple[Action, ...]:
    """The actions named by review_scope markers anywhere in the route's dependency tree."""
    found: list[Action] = []
    for dep in getattr(dependant, "dependencies", []) or []:
        marker = getattr(dep.call, "required_action", None)
        if marker is not None:
            found.extend(marker if isinstance(marker, tuple | list) else [marker])
        found.extend(_required_actions(dep))
    return tuple(dict.fromkeys(Action(a) for a in found))


def _path_param_types(dependant: Any) -> dict[str, Any]:
    types: dict[str, Any] = {}
    if dependant is None:
        return types
    for field in dependant.path_params:
        types[field.name] = field.field_info.annotation
    for dep in dependant.dependencies:
        types.update(_path_param_types(dep))
    return types


def _declared(path: str, methods: set[str] | None, dependant: Any) -> Iterator[AppRoute]:
    # Strip convertors ({name:conv}) so the tables can name the path as people write it.
    clean = re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)
    types = tuple(sorted(_path_param_types(dependant).items()))
    actions = _required_actions(dependant) if dependant is not None else ()
    for method in sorted((methods or {"GET"}) - {"HEAD", "OPTIONS"}):
        yield AppRoute(method, clean, actions, types)


def app_routes(app: Any) -> list[AppRoute]:
    """Every (method, path) the app answers, whatever way its routers were included."""
    routes: list[AppRoute] = []
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):  # FastAPI's included routers
            for ctx in route.effective_route_contexts():
                routes.extend(_declared(ctx.path, ctx.methods, ctx.dependant))
        elif isinstance(route, APIRoute):
            routes.extend(_declared(route.path, route.methods, route.dependant))
        elif isinstance(route, Mount):
            routes.append(AppRoute("GET", route.path + "/{path}", (), ()))
        elif isinstance(route, Route):
            routes.extend(_declared(route.path, route.methods, None))
        else:
            raise AssertionError(f"unknown kind of route {route!r}: teach this test to read it")
    return routes


def _classification_problems(routes: list[AppRoute]) -> list[str]:
    problems = []
    for route in routes:
        key = (route.method, route.path)
        tables = (("public", PUBLIC), ("signed-in", SIGNED_IN), ("admin", ADMIN_ONLY))
        tabled = [name for name, table in tables if key in table]
        if route.is_review_route and not route.actions:
            problems.append(f"{route.name}: has review_id but no review_scope(Action...) dependency")
        elif route.actions and not route.is_review_route:
            problems.append(f"{route.name}: depends on review_scope but has no {{review_id}} in its path")
        elif not route.actions and not tabled:
            problems.append(f"{route.name}: not classified (add it to PUBLIC, SIGNED_IN or ADMIN_ONLY)")
        elif len(tabled) > 1:
            problems.append(f"{route.name}: listed in more than one table ({', '.join(tabled)})")
    return problems


def test_every_route_is_classified(app):
    routes = app_routes(app)
    assert len(routes) > 20
    problems = _classification_problems(routes)
    assert not problems, "routes without a permission class:\n" + "\n".join(problems)


def test_the_tables_name_no_missing_routes(app):
    present = {(r.method, r.path) for r in app_routes(app)}
    stale = sorted((PUBLIC | SIGNED_IN | ADMIN_ONLY) - present)
    assert not stale, f"tables name routes the app does not have: {stale}"


# Making the requests


def _value_for(name: str, annotation: Any, review_id: int) -> str:
    if name == "review_id":
        return str(review_id)
    if name == "path":
        return "site.css"
    if "uuid" in name or name == "evidence_id" or annotation is uuid.UUID:
        return str(uuid.uuid4())
    if name == "ref":
        return "SV1"
    if annotation is int:
        return "1"
    if annotation is dt.date:
        return "2024-01-01"
    return "x"


def _url(route: AppRoute, review_id: int) -> str:
    types = dict(route.param_types)
    return re.sub(
        r"\{(\w+)\}", lambda m: _value_for(m.group(1), types.get(m.group(1)), review_id), route.path
    )


@dataclass
class Callers:
    admin: Any
    roles: dict[Role, Any]
    outsider: Any  # a member of a different review


@pytest.fixture
def callers(db) -> Callers:
    admin = make_user(admin=True, name="Global Admin")
    other = make_review(admin=admin, title="Another review", status="fieldwork")
    return Callers(
        admin=admin,
        roles={role: make_user(name=f"Role {role.value}") for role in Role},
        outsider=add_member(other, "reviewer"),
    )


def _review_for(callers: Callers, status: str):
    review = make_review(admin=callers.admin, status=status)
    for role, user in callers.roles.items():
        add_member(review, role.value, user=user)
    return review


def _headers(user) -> dict[str, str]:
    # A fresh token for each request: some routes (sign-out, revoke) end the token they are called with.
    with session_scope() as s:
        token = accounts.issue_token(s, user=user, kind="access", lifetime=dt.timedelta(minutes=10)).token
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


async def _call(client, route: AppRoute, review_id: int, user=None):
    headers = (
        _headers(user)
        if user is not None
        else {"Accept": "text/html" if route.is_page else "application/json"}
    )
    kwargs: dict[str, Any] = {"headers": headers}
    if route.method in WRITE_METHODS:
        kwargs["json"] = {}
    return await client.request(route.method, _url(route, review_id), **kwargs)


def _detail(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return body.get("detail", "") if isinstance(body, dict) else ""


def _auth_refused(route: AppRoute, response) -> bool:
    if route.is_page:
        return response.status_code == 303 and response.headers.get("location", "").startswith(
            "/sign-in?next="
        )
    return response.status_code == 401


def _check_allowed(route: AppRoute, who: str, response, *, published: bool = False) -> str | None:
    status = response.status_code
    refused = {401, 403} | ({409} if published and "published" in _detail(response) else set())
    if status in refused or _auth_refused(route, response):
        return f"{route.name}: {who} should be allowed but got {status} {_detail(response)!r}"
    if status == 404 and _detail(response) == "review not found":
        return f"{route.name}: {who} should be allowed but got 404 'review not found'"
    if status >= 500:
        return f"{route.name}: {who} got {status} for a request with an empty body (expected a 4xx)"
    return None


def _check_refused(route: AppRoute, who: str, response, expected: set[int]) -> str | None:
    if response.status_code not in expected:
        got = f"{response.status_code} {_detail(response)!r}"
        return f"{route.name}: {who} should get {sorted(expected)} but got {got}"
    return None


def _permitted(route: AppRoute, role: Role | None, *, published: bool, is_admin: bool = False) -> bool:
    return any(allows(role, action, published=published, is_admin=is_admin) for action in route.actions)


async def _review_route_problems(client, callers: Callers, route: AppRoute, status: str) -> list[str]:
    published = status == "published"
    review = _review_for(callers, status)
    problems: list[str | None] = []

    anonymous = await _call(client, route, review.id)
    if not _auth_refused(route, anonymous):
        problems.append(f"{route.name}: anonymous should be sent to sign in but got {anonymous.status_code}")
    outsider = await _call(client, route, review.id, callers.outsider)
    if outsider.status_code != 404 or _detail(outsider) != "review not found":
        problems.append(
            f"{route.name}: a member of another review should get 404 'review not found' "
            f"but got {outsider.status_code} {_detail(outsider)!r}"
        )
    callers_and_roles = [(role.value, user, role, False) for role, user in callers.roles.items()]
    callers_and_roles.append(("a global admin with no role", callers.admin, None, True))
    for who, user, role, is_admin in callers_and_roles:
        response = await _call(client, route, review.id, user)
        if _permitted(route, role, published=published, is_admin=is_admin):
            problems.append(_check_allowed(route, who, response, published=published))
        else:
            # Before publication a missing permission is 403; after it, a write that the role could once
            # make is 409 (published, read-only) and anything else 403.
            problems.append(_check_refused(route, who, response, {403, 409} if published else {403}))
    return [p for p in problems if p]


async def _table_route_problems(client, callers: Callers, route: AppRoute) -> list[str]:
    key = (route.method, route.path)
    review = _review_for(callers, "fieldwork")
    member = callers.roles[Role.reviewer]
    anonymous = await _call(client, route, review.id)
    problems: list[str | None] = []
    if key in PUBLIC:
        if _auth_refused(route, anonymous) or anonymous.status_code == 403 and route.method == "GET":
            problems.append(f"{route.name}: public but anonymous got {anonymous.status_code}")
        if anonymous.status_code >= 500:
            problems.append(f"{route.name}: anonymous got {anonymous.status_code}")
        return [p for p in problems if p]
    if not _auth_refused(route, anonymous):
        problems.append(f"{route.name}: anonymous should be sent to sign in but got {anonymous.status_code}")
    if key in SIGNED_IN:
        problems.append(
            _check_allowed(route, "a signed-in user", await _call(client, route, review.id, member))
        )
    else:
        problems.append(
            _check_refused(
                route, "a user who is not an admin", await _call(client, route, review.id, member), {403}
            )
        )
        problems.append(
            _check_allowed(route, "an admin", await _call(client, route, review.id, callers.admin))
        )
    return [p for p in problems if p]


async def test_every_route_answers_each_kind_of_caller_as_the_role_table_says(app, client, callers):
    problems: list[str] = []
    for route in app_routes(app):
        if route.actions and route.is_review_route:
            problems += await _review_route_problems(client, callers, route, "fieldwork")
        elif (route.method, route.path) in PUBLIC | SIGNED_IN | ADMIN_ONLY:
            problems += await _table_route_problems(client, callers, route)
    assert not problems, f"{len(problems)} permission problems:\n" + "\n".join(problems)


async def test_every_review_route_after_publication(app, client, callers):
    """Published reviews are read-only (but for the action plan); self-assessors may now read it all."""
    problems: list[str] = []
    for route in app_routes(app):
        if route.actions and route.is_review_route:
            problems += await _review_route_problems(client, callers, route, "published")
    assert not problems, f"{len(problems)} permission problems:\n" + "\n".join(problems)


def _team_only_routes(app) -> list[AppRoute]:
    return [
        r for r in app_routes(app)
        if r.is_review_route and r.actions and set(r.actions) <= TEAM_READS | {Action.read_audit}
    ]  # fmt: skip


# The pages and endpoints a self-assessor must not open before publication, named by path.
TEAM_MATERIAL = [
    ("GET", "/api/v1/reviews/{review_id}/evidence"),
    ("GET", "/api/v1/reviews/{review_id}/evidence/{evidence_id}"),
    ("GET", "/api/v1/reviews/{review_id}/ratings"),
    ("GET", "/api/v1/reviews/{review_id}/scores"),
    ("GET", "/reviews/{review_id}/ratings"),
    ("GET", "/reviews/{review_id}/scores"),
]
TEAM_MATERIAL_PREFIXES = (
    "/reviews/{review_id}/evidence",
    "/reviews/{review_id}/report",
    "/api/v1/reviews/{review_id}/report",
)


async def test_self_assessor_cannot_open_team_material_before_publication(app, client, callers):
    routes = app_routes(app)
    present = {(r.method, r.path) for r in routes}
    missing = [f"{m} {p}" for m, p in TEAM_MATERIAL if (m, p) not in present]
    assert not missing, f"expected routes are gone (update TEAM_MATERIAL if they moved): {missing}"
    named = [
        r for r in routes if (r.method, r.path) in TEAM_MATERIAL or r.path.startswith(TEAM_MATERIAL_PREFIXES)
    ]
    targets = {r.name: r for r in _team_only_routes(app) + [r for r in named if r.method == "GET"]}
    problems = []
    self_assessor = callers.roles[Role.self_assessor]
    for status in PRE_PUBLICATION:
        review = _review_for(callers, status)
        for route in targets.values():
            response = await _call(client, route, review.id, self_assessor)
            if response.status_code != 403:
                problems.append(f"{route.name} ({status}): self-assessor got {response.status_code}")
    assert not problems, "\n".join(problems)


MARKERS = ("TEAM-EVIDENCE-MARKER", "TEAM-NARRATIVE-MARKER", "TEAM-RATING-MARKER", "TEAM-FINDING-MARKER")


def _seed_team_material(review, reviewer) -> None:
    from app.evidence.models import Evidence, EvidenceLine
    from app.findings.models import Finding
    from app.ratings.models import Rating

    evidence_id = str(uuid.uuid4())
    with session_scope() as s:
        s.add(
            Evidence(
                id=evidence_id,
                review_id=review.id,
                title=MARKERS[0],
                narrative=MARKERS[1],
                source_type="interview",
                category="staff-and-leaders",
                polarity="concern",
                collected_on=dt.date(2024, 5, 1),
                collected_by_id=reviewer.id,
                content_hash="0" * 64,
            )
        )
        s.flush()
        s.add(EvidenceLine(evidence_id=evidence_id, ref="SV1"))
        s.add(Rating(review_id=review.id, ref="SV1", rater_id=reviewer.id, group="review_team", value=2,
                     rationale=MARKERS[2], cited_evidence=[evidence_id]))  # fmt: skip
        s.add(Finding(review_id=review.id, kind="area", text=MARKERS[3], created_by_id=reviewer.id))


async def test_no_page_or_endpoint_a_self_assessor_can_open_shows_team_material(app, client, callers):
    """The content-level guarantee: whatever a self-assessor may GET before publication, the review
    team's evidence, draft ratings and findings never appear in it."""
    problems = []
    self_assessor = callers.roles[Role.self_assessor]
    for status in PRE_PUBLICATION:
        review = _review_for(callers, status)
        _seed_team_material(review, callers.roles[Role.reviewer])
        # The control: the team does see the material, so its absence below means something.
        seen = ""
        for path in ("evidence", "ratings", "findings"):
            url = f"/api/v1/reviews/{review.id}/{path}"
            seen += (await client.get(url, headers=_headers(callers.roles[Role.reviewer]))).text
        assert all(marker in seen for marker in MARKERS), (
            f"seeded team material not visible to the team ({status})"
        )
        for route in app_routes(app):
            if route.method != "GET":
                continue
            if route.is_review_route:
                if not _permitted(route, Role.self_assessor, published=False):
                    continue
            elif (route.method, route.path) not in SIGNED_IN:
                continue
            response = await _call(client, route, review.id, self_assessor)
            leaked = [m for m in MARKERS if m in response.text]
            if leaked:
                problems.append(f"{route.name} ({status}): shows {leaked} to a self-assessor")
    assert not problems, "\n".join(problems)
