"""Role-based access control: deny by default, and no handler without a check.

Two ways an RBAC layer fails open. A permission decorator that allows everything it was not
told to refuse hands every new role, and every misspelt one, all the permissions. And an
application that accepts any handler lets one route ship without its decorator at all.
Book page: ``book/practices/access-control``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pysecbook.teaching.risks import Outcome, Risk, register

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


def require_permission_secure(permission: str) -> Callable[[F], F]:
    """Refuse the call unless the caller's role is explicitly granted ``permission``."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(user: User, *args: Any, **kwargs: Any) -> Any:
            if permission not in ROLE_PERMISSIONS.get(user.role, frozenset()):
                raise AccessDenied(f"{user.name} ({user.role}) may not {permission}")
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
    """Register ``handler`` only if it declares its permission or is explicitly public."""
    if not (hasattr(handler, "required_permission") or getattr(handler, "public", False)):
        raise TypeError(f"route {path}: handler {handler.__name__} has no permission check; "
                        "decorate it with require_permission(...) or @public")
    routes[path] = handler


def build_app(add_route: Callable[[dict[str, Handler], str, Handler], None]) -> dict[str, Handler]:
    """The example application: three routes, one of which was written without its check."""
    routes: dict[str, Handler] = {}

    @public
    def health(user: User) -> str:
        return "ok"

    @require_permission_secure("read")
    def show_report(user: User) -> str:
        return "quarterly report"

    def export_users(user: User) -> str:  # the developer forgot @require_permission("admin")
        return "alice,bob,carol: all user records exported"

    add_route(routes, "/health", health)
    add_route(routes, "/report", show_report)
    add_route(routes, "/admin/export", export_users)
    return routes


def dispatch(routes: Mapping[str, Handler], path: str, user: User) -> str:
    """Serve one request: 404 for an unknown path, 403 for a refused one."""
    handler = routes.get(path)
    if handler is None:
        return "404 not found"
    try:
        return "200 " + handler(user)
    except AccessDenied as exc:
        return f"403 {exc}"


def attack_missing_check(impl: Callable[..., object]) -> Outcome:
    """A viewer requests the administrators' export route."""
    try:
        routes = build_app(impl)  # type: ignore[arg-type]
    except TypeError as exc:
        return Outcome(False, f"the application refused to start: {exc}")
    response = dispatch(routes, "/admin/export", User("victor", "viewer"))
    return Outcome(response.startswith("200"), f"GET /admin/export as a viewer: {response}")


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
    )
)
