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


# --- The adapted attacks' edges ----------------------------------------------------------------

from pysecbook.teaching.risks import client_side_values as cv  # noqa: E402


def test_secure_decorator_refuses_a_role_of_another_type_as_access_denied() -> None:
    for role in (["admin"], ("admin",), b"admin", None):
        result = ac.try_delete(ac.require_permission_secure, (ac.User("x", role),))  # type: ignore[arg-type]
        assert all(r.startswith("refused") for r in result.values()), (role, result)


def test_secure_registry_wants_public_to_be_true() -> None:
    def page(user: ac.User) -> str:
        return "page"

    page.public = "no"  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="no permission check"):
        ac.add_route_secure({}, "/page", page)


def test_the_router_is_lenient_and_the_check_goes_with_the_handler() -> None:
    routes = ac.build_app(ac.add_route_secure, fixed=True)
    admin, viewer = ac.User("a", "admin"), ac.User("v", "viewer")
    for path in ("/admin/export", "/Admin/export", "//admin/export/", "/./admin/./export"):
        assert ac.route_key(path) == "/admin/export"
        assert ac.dispatch(routes, path, admin).startswith("200")
        assert ac.dispatch(routes, path, viewer).startswith("403")


def test_secure_checkout_charges_whole_quantities_per_product() -> None:
    cart = {"lines": [{"sku": "bag-leather", "quantity": 2}, {"sku": "wallet", "quantity": 1},
                      {"sku": "bag-leather", "quantity": 18}]}
    assert cv.checkout_secure(cart) == 20 * 4999 + 1999
    for quantity in (1.5, 1.0, True, "2", 0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            cv.checkout_secure({"lines": [{"sku": "bag-leather", "quantity": quantity}]})
    with pytest.raises(ValueError, match="at most 20"):
        cv.checkout_secure({"lines": [{"sku": "wallet", "quantity": 20},
                                      {"sku": "wallet", "quantity": 1}]})
    for sku in ("BAG-LEATHER", " bag-leather", ["bag-leather"]):
        with pytest.raises(ValueError, match="unknown product"):
            cv.checkout_secure({"lines": [{"sku": sku, "quantity": 1}]})
