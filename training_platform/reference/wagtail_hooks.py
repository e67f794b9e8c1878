from wagtail import hooks

from training_platform.reference.viewsets import ReferenceGroup


@hooks.register("register_admin_viewset")
def register_viewsets():
    return ReferenceGroup()
