"""Access control (book/practices/access-control): both failure modes, and the edges."""

from __future__ import annotations

import pytest

from pysecbook.teaching.risks import access_control as ac


def test_listed_roles_get_the_same_answers_from_both_decorators() -> None:
    listed = (ac.User("a", "admin"), ac.User("e", "editor"), ac.User("v", "viewer"))
    insecure = ac.try_delete(ac.require_permission_insecure, listed)
    secure = ac.try_delete(ac.require_permission_secure, listed)
    assert [("deleted" in r) for r in insecure.values()] == [True, False, False]
    assert [("deleted" in r) for r in secure.values()] == [True, False, False]


def test_unlisted_roles_are_refused_by_the_secure_decorator_only() -> None:
    assert all("deleted" in r for r in ac.try_delete(ac.require_permission_insecure).values())
    assert all(r.startswith("refused") for r in ac.try_delete(ac.require_permission_secure).values())


def test_secure_decorator_rejects_unknown_permission() -> None:
    with pytest.raises(ValueError, match="unknown permission"):
        ac.require_permission_secure("delte")


def test_secure_registry_accepts_decorated_and_public_handlers() -> None:
    routes: dict[str, ac.Handler] = {}

    @ac.public
    def health(user: ac.User) -> str:
        return "ok"

    @ac.require_permission_secure("read")
    def report(user: ac.User) -> str:
        return "report"

    ac.add_route_secure(routes, "/health", health)
    ac.add_route_secure(routes, "/report", report)
    assert ac.dispatch(routes, "/report", ac.User("v", "viewer")) == "200 report"
    assert ac.dispatch(routes, "/report", ac.User("x", "nobody")).startswith("403")
    assert ac.dispatch(routes, "/missing", ac.User("v", "viewer")) == "404 not found"


def test_secure_registry_refuses_undecorated_handler() -> None:
    with pytest.raises(TypeError, match="no permission check"):
        ac.build_app(ac.add_route_secure)
