from wagtail import hooks

from bases.viewsets import InstitutionsGroup


@hooks.register("register_admin_viewset")
def register_viewsets():
    return InstitutionsGroup()
