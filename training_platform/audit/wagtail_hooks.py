from wagtail import hooks

from training_platform import admin_reports

hooks.register("construct_reports_menu", admin_reports.hide_site_history)
