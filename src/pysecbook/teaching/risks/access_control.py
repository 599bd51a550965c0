"""Role-based access control: deny by default, and no handler without a check.

Two ways an RBAC layer fails open. A permission decorator that allows everything it was not
told to refuse hands every new role, and every misspelt one, all the permissions. And an
application that accepts any handler lets one route ship without its decorator at all.

Deny-by-default can still be written to fail open. A check that forgives how a role is
written (case, width, spaces) grants ``Admin`` what only ``admin`` has; one written for a
list of roles (``"admin" in user.role``) becomes a substring test when the role is a
string, and grants ``administrative-assistant`` too. The secure decorator compares one
string exactly. And a forgotten check is not fixed by one central rule on the request path:
the router also accepts ``/Admin/export`` and ``//admin/export``, and the same handler may
be registered under a second path. The secure registry puts the check on the handler itself.
Book page: ``book/practices/access-control``.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from pysecbook.teaching.risks import AdaptedAttack, Outcome, Risk, register

F = TypeVar("F", bound=Callable[..., Any])

#: The policy: what each role may do. Anything not listed here is refused (secure version).
ROLE_PERMISSIONS: Mapping[str, frozenset[str]] = {
    "admin": frozenset({"read", "write", "delete"}),
    "editor": frozenset({"read", "write"}),
    "viewer": frozenset({"read"}),
}

#: Every permission the application knows about.
PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values())

#: The permissive policy's list of refusals: what each role may NOT do.
DENIED: Mapping[str, frozenset[str]] = {
    "editor": frozenset({"delete"}),
    "viewer": frozenset({"write", "delete"}),
}


@dataclass(frozen=True)
class User:
    """Who is calling: a name and the role the user database gives them."""

    name: str
    role: str


class AccessDenied(PermissionError):
    """The caller's role does not grant the permission the handler requires."""


def require_permission_insecure(permission: str) -> Callable[[F], F]:
    """Allow the call unless the caller's role is explicitly denied ``permission``."""

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(user: User, *args: Any, **kwargs: Any) -> Any:
            if permission in DENIED.get(user.role, frozenset()):
                raise AccessDenied(f"{user.name} ({user.role}) may not {permission}")
            return func(user, *args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def _folded(role: str) -> str:
    return unicodedata.normalize("NFKC", role).strip().casefold()


def require_permission_first_try(permission: str) -> Callable[[F], F]:
    """A first fix: refuse unless the caller holds a role granted ``permission``; forgiving
    about how a role is written, and ready for users who hold several roles (a list).

    Kept to show the adapted attacks beating it: folding case and width makes ``Admin`` and
    ``ＡＤＭＩＮ`` the administrator role, and ``role in user.role``, written for a list, is a
    substring test on a string.
    """
    granted = [role for role, perms in ROLE_PERMISSIONS.items() if permission in perms]

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(user: User, *args: Any, **kwargs: Any) -> Any:
            held = user.role
            held = _folded(held) if isinstance(held, str) else [_folded(r) for r in held]
            if not any(role in held for role in granted):
                raise AccessDenied(f"{user.name} ({user.role}) may not {permission}")
            return func(user, *args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def require_permission_secure(permission: str) -> Callable[[F], F]:
    """Refuse the call unless the caller's role is explicitly granted ``permission``.

    The role must be a ``str`` and is compared exactly with the policy's names: a role of
    another type, a role in another case or spelling, and a role the policy does not list
    are all refused.

    Assumes: ``user`` comes from the server's own session and user records, never from the
    request; role names are validated where they are assigned; every handler that needs a
    check carries this decorator (the secure route registry enforces that).
    Does not stop: a user who really holds a role that grants too much (the policy is the
    policy); checks on *which* record a user may touch (object-level access: an editor may
    write every record here); a role change that takes effect only when the session's user
    record is reloaded.
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(user: User, *args: Any, **kwargs: Any) -> Any:
            role = user.role
            if not isinstance(role, str) or permission not in ROLE_PERMISSIONS.get(role, frozenset()):
                raise AccessDenied(f"{user.name} ({role!r}) may not {permission}")
            return func(user, *args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


#: Callers the attack tries: a role added to the user database before anyone updated the
#: policy, and a role whose name was typed with a capital letter.
UNLISTED_CALLERS = (User("carol", "contractor"), User("dave", "Viewer"))


def try_delete(decorator_factory: Callable[[str], Callable[[F], F]],
               callers: tuple[User, ...] = UNLISTED_CALLERS) -> dict[str, str]:
    """Protect a ``delete_record`` handler with ``decorator_factory("delete")`` and call it
    as each of ``callers``; return what happened to each of them."""
    records = {"r1": "payroll"}

    @decorator_factory("delete")
    def delete_record(user: User, record_id: str) -> str:
        del records[record_id]
        return f"record {record_id} deleted"

    results: dict[str, str] = {}
    for user in callers:
        records.setdefault("r1", "payroll")
        try:
            results[f"{user.name} ({user.role})"] = delete_record(user, "r1")
        except AccessDenied as exc:
            results[f"{user.name} ({user.role})"] = f"refused: {exc}"
    return results


def attack_default_allow(impl: Callable[..., object]) -> Outcome:
    """A contractor and a misspelt viewer try to delete a record."""
    results = try_delete(impl)  # type: ignore[arg-type]
    deleted = [who for who, what in results.items() if "deleted" in what]
    if deleted:
        observed = "record deleted by " + " and ".join(deleted)
    else:
        observed = "; ".join(results.values())
    return Outcome(attack_succeeded=bool(deleted), observed=observed)


#: Roles nobody granted anything, spelt so that a forgiving check reads them as ``admin``.
FOLDED_CALLERS = (User("frank", "Admin"), User("gina", "ADMIN "), User("hal", "ａｄｍｉｎ"))
#: Roles that contain a granted role's name.
CONTAINING_CALLERS = (User("ann", "administrative-assistant"), User("ed", "sysadmin-trainee"))


def _deleted_by(impl: Callable[..., object], callers: tuple[User, ...]) -> Outcome:
    results = try_delete(impl, callers)  # type: ignore[arg-type]
    deleted = [who for who, what in results.items() if "deleted" in what]
    if deleted:
        return Outcome(True, "record deleted by " + " and ".join(deleted))
    return Outcome(False, "; ".join(results.values()))


def attack_folded_role(impl: Callable[..., object]) -> Outcome:
    """Be given a role that is 'admin' only once case, width and spaces are folded:
    ``Admin``, ``ADMIN ``, the full-width ``ａｄｍｉｎ``, which whoever assigns roles did not
    see as the administrator role."""
    return _deleted_by(impl, FOLDED_CALLERS)


def attack_role_substring(impl: Callable[..., object]) -> Outcome:
    """Hold a role whose name contains a granted one, ``administrative-assistant``, where the
    check tests ``role in user.role`` for a list of roles and gets a string."""
    return _deleted_by(impl, CONTAINING_CALLERS)


register(
    Risk(
        id="PSB-ACCESS-DEFAULT-ALLOW",
        title="A permission check that allows by default",
        summary="An allow-unless-denied policy grants every unlisted or misspelt role "
        "every permission; deny by default instead.",
        cwe=863,
        bandit=(),
        no_static_rule="allow-unless-denied and deny-unless-granted are the same kind of "
                       "lookup; only the policy's intent tells them apart.",
        modules=("functools",),
        page="practices/access-control",
        insecure=require_permission_insecure,
        secure=require_permission_secure,
        attack=attack_default_allow,
        adapted=(
            AdaptedAttack("roles that fold to 'admin': 'Admin', 'ADMIN ', full-width",
                          "encoding", attack_folded_role, beats=require_permission_first_try),
            AdaptedAttack("a role whose name contains 'admin', tested with 'in' on a string",
                          "type-confusion", attack_role_substring,
                          beats=require_permission_first_try),
        ),
    )
)


# --- Handlers that forgot their check ---------------------------------------------------

Handler = Callable[..., str]


def public(func: F) -> F:
    """Mark a handler as deliberately open to everyone (the login page, a health check)."""
    func.public = True  # type: ignore[attr-defined]
    return func


def add_route_insecure(routes: dict[str, Handler], path: str, handler: Handler) -> None:
    """Register ``handler`` under ``path``, whatever it checks."""
    routes[path] = handler


def add_route_secure(routes: dict[str, Handler], path: str, handler: Handler) -> None:
    """Register ``handler`` only if it declares its permission or is explicitly public.

    The check lives in the handler (its ``require_permission`` decorator), so it runs on
    every path and every method that reaches the handler, however the router spells them.

    Assumes: ``required_permission`` is set only by a decorator that checks it (as
    ``require_permission_secure`` does) and ``public`` only on handlers meant for
    everyone; the application registers every handler through this function.
    Does not stop: a handler marked ``@public`` by mistake, or decorated with a permission
    weaker than it needs; a handler reached by another way than this registry (a second
    framework mounted beside it, a debug endpoint); a check in the handler that tests the
    wrong thing.
    """
    if not (hasattr(handler, "required_permission") or getattr(handler, "public", False) is True):
        raise TypeError(f"route {path}: handler {handler.__name__} has no permission check; "
                        "decorate it with require_permission(...) or @public")
    routes[path] = handler


@dataclass(frozen=True)
class Request:
    """What the router knows of the request it is serving."""

    path: str


#: The request being served, for code that needs it, as web frameworks provide one.
current_request: ContextVar[Request] = ContextVar("current_request")

#: The first fix's central rule: every request under these prefixes needs an administrator.
ADMIN_PREFIXES = ("/admin/",)


def add_route_first_try(routes: dict[str, Handler], path: str, handler: Handler) -> None:
    """A first fix: register any handler, behind one central rule that nobody can forget: a
    request whose path starts with ``/admin/`` needs an administrator.

    Kept to show the adapted attacks beating it: the rule reads the path as the request
    wrote it, the router finds the handler by a looser reading, and the rule protects a
    path, not the handler, which can have a second route.
    """

    @functools.wraps(handler)
    def guarded(user: User, *args: Any, **kwargs: Any) -> str:
        request = current_request.get()
        if request.path.startswith(ADMIN_PREFIXES) and user.role != "admin":
            raise AccessDenied(f"{user.name} ({user.role}) may not use {request.path}")
        return handler(user, *args, **kwargs)

    routes[path] = guarded


def build_app(add_route: Callable[[dict[str, Handler], str, Handler], None],
              *, fixed: bool = False) -> dict[str, Handler]:
    """The example application: three routes, one of which was written without its check.

    With ``fixed``, the export carries the check its developer forgot:
    ``require_permission_secure("delete")``, administrators only.
    """
    routes: dict[str, Handler] = {}

    @public
    def health(user: User) -> str:
        return "ok"

    @require_permission_secure("read")
    def show_report(user: User) -> str:
        return "quarterly report"

    def export_users(user: User) -> str:  # the developer forgot @require_permission("admin")
        return "alice,bob,carol: all user records exported"

    if fixed:
        export_users = require_permission_secure("delete")(export_users)
    add_route(routes, "/health", health)
    add_route(routes, "/report", show_report)
    add_route(routes, "/admin/export", export_users)
    return routes


def route_key(path: str) -> str:
    """The route a request path reaches, read as a lenient router reads it: ``.`` segments
    and repeated or trailing slashes dropped, case ignored."""
    parts = [part for part in path.partition("?")[0].split("/") if part not in ("", ".")]
    return "/" + "/".join(parts).casefold()


def dispatch(routes: Mapping[str, Handler], path: str, user: User) -> str:
    """Serve one request: 404 for an unknown path, 403 for a refused one."""
    handler = routes.get(path)
    if handler is None:
        handler = {route_key(p): h for p, h in routes.items()}.get(route_key(path))
    if handler is None:
        return "404 not found"
    token = current_request.set(Request(path))
    try:
        return "200 " + handler(user)
    except AccessDenied as exc:
        return f"403 {exc}"
    finally:
        current_request.reset(token)


def attack_missing_check(impl: Callable[..., object]) -> Outcome:
    """A viewer requests the administrators' export route."""
    try:
        routes = build_app(impl)  # type: ignore[arg-type]
    except TypeError as exc:
        return Outcome(False, f"the application refused to start: {exc}")
    response = dispatch(routes, "/admin/export", User("victor", "viewer"))
    return Outcome(response.startswith("200"), f"GET /admin/export as a viewer: {response}")


#: Spellings of ``/admin/export`` that the router serves and a test of the prefix misses.
PATH_VARIANTS = ("/Admin/export", "//admin/export", "/./admin/export", "/ADMIN/EXPORT/")
#: A second route to the same export, added for a new version of the API.
ALIAS = "/api/v2/users/export"


def export_as_viewer(impl: Callable[..., object], paths: tuple[str, ...],
                     alias: str | None = None) -> Outcome:
    """Build the application with the registry ``impl`` (with ``alias`` as a second route to
    the export) and request each of ``paths`` as a viewer. If the registry refuses the
    unchecked export, the application is built as its developer then fixes it, with the
    check on the export, and attacked the same way."""
    try:
        routes = build_app(impl)  # type: ignore[arg-type]
        note = ""
    except TypeError:
        routes = build_app(impl, fixed=True)  # type: ignore[arg-type]
        note = "the registry refused the unchecked export; once its check was added: "
    if alias:
        impl(routes, alias, routes["/admin/export"])
    viewer = User("victor", "viewer")
    results = {path: dispatch(routes, path, viewer) for path in paths}
    opened = [path for path, response in results.items() if response.startswith("200")]
    if opened:
        return Outcome(True, f"{note}GET {opened[0]} as a viewer: {results[opened[0]]}")
    return Outcome(False, note + "; ".join(f"GET {p} -> {r.split(':')[0]}" for p, r in results.items()))


def attack_path_variants(impl: Callable[..., object]) -> Outcome:
    """Spell the export's path so the router still finds it and a test of the prefix
    ``/admin/`` does not match: another case, a doubled slash, a ``.`` segment."""
    return export_as_viewer(impl, PATH_VARIANTS)


def attack_second_route(impl: Callable[..., object]) -> Outcome:
    """Use the second route to the same export, added for the new API outside ``/admin/``."""
    return export_as_viewer(impl, (ALIAS,), alias=ALIAS)


register(
    Risk(
        id="PSB-ACCESS-MISSING-CHECK",
        title="A handler registered without its permission check",
        summary="One route without its decorator is open to everyone; make the registry "
        "refuse handlers that declare no permission.",
        cwe=862,
        bandit=(),
        no_static_rule="a route without a check looks like any public route; whether it should "
                       "be public is a decision, not a pattern.",
        modules=("functools",),
        page="practices/access-control",
        insecure=add_route_insecure,
        secure=add_route_secure,
        attack=attack_missing_check,
        adapted=(
            AdaptedAttack("the export's path in another case, with a doubled slash, a '.' "
                          "segment", "encoding", attack_path_variants, beats=add_route_first_try),
            AdaptedAttack("a second route to the same handler, outside /admin/", "variant",
                          attack_second_route, beats=add_route_first_try),
        ),
    )
)
