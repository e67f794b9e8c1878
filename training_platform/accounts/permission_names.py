"""Permission names in Chinese (issue 16: the back-office speaks Chinese).

Django names every permission "Can add <verbose name>" in English when it creates it, and
Wagtail adds a few of its own ("Publish any page"); the group editor shows these names.
After each migrate, names still in Django's or Wagtail's English are rewritten in Chinese
from the model's (translated) verbose name. Names someone chose are left alone.
"""

from django.utils import translation

ACTIONS = {
    "add": "新增",
    "change": "修改",
    "delete": "删除",
    "view": "查看",
    "choose": "选用",
}
WAGTAIL = {
    "Can access Wagtail admin": "可进入管理后台",
    "Delete pages with children": "可删除含子页面的页面",
    "Lock/unlock pages you've locked": "可锁定和解锁自己锁定的页面",
    "Publish any page": "可发布任何页面",
    "Unlock any page": "可解锁任何页面",
}

# Models (of Wagtail, django-tasks, axes) whose verbose names are not translatable.
MODEL_NAMES = {
    "Task Result": "后台任务结果",
    "access attempt": "登录尝试",
    "access attempt expiration": "登录尝试有效期",
    "access failure": "登录失败记录",
    "access log": "登录日志",
    "editing session": "编辑会话",
    "form state": "表单状态",
    "index entry": "搜索索引条目",
    "locale": "语言区域",
    "page subscription": "页面订阅",
    "reference index": "引用索引",
    "rendition": "图片版本",
    "sq lite fts index entry": "全文索引条目",
    "uploaded file": "上传的文件",
    "workflow content type": "工作流内容类型",
}


def chinese_name(permission) -> str | None:
    """The Chinese name for a permission still named in English, or None."""
    if permission.name in WAGTAIL:
        return WAGTAIL[permission.name]
    action = permission.codename.split("_", 1)[0]
    model = permission.content_type.model_class()
    if action not in ACTIONS or model is None:
        return None
    if not permission.name.startswith(f"Can {action} "):
        return None
    with translation.override("zh-hans"):
        noun = str(model._meta.verbose_name)
    noun = MODEL_NAMES.get(noun, noun)
    return f"可{ACTIONS[action]}{noun}"


def name_permissions_in_chinese(**kwargs):
    from django.contrib.auth.models import Permission

    english = Permission.objects.filter(name__regex=r"^[A-Za-z]").select_related(
        "content_type"
    )
    for permission in english:
        name = chinese_name(permission)
        if name and name != permission.name:
            permission.name = name[:255]
            permission.save(update_fields=["name"])
