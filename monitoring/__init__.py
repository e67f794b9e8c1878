"""监测 (plan monitoring): the plan's indicators, their targets and the figures against them.

Top of the house (STYLE.md: imports run downwards): ``monitoring`` reads ``courses``,
``certificates``, ``subsidies``, ``competitions`` and ``bases``; nothing imports it except
``cms`` (the dashboard screens, later). Computed figures come from
:mod:`monitoring.indicators` (one GROUP BY query each); reported figures
(:class:`monitoring.models.ReportedFigure`) are entered and approved by bureau staff and
never added to computed ones.
"""
