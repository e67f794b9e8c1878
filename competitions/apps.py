from django.apps import AppConfig


class CompetitionsConfig(AppConfig):
    name = "competitions"
    verbose_name = "职业技能竞赛"

    def ready(self):
        # What competitions plugs into the apps below it (their extensions.py).
        from competitions import policies
        from competitions.models import (
            Competition,
            Entry,
            Event,
            Outcome,
            Registration,
            Result,
            ResultVersion,
            ScoreUpload,
        )
        from training_platform.access import AccessRule
        from training_platform.extensions import access_rules

        access_rules.extend(
            [
                AccessRule(
                    Competition,
                    view=policies.competition_view,
                    change=policies.competition_change,
                ),
                AccessRule(
                    Event, view=policies.event_view, change=policies.event_change
                ),
                AccessRule(
                    Entry, view=policies.entry_view, change=policies.entry_change
                ),
                AccessRule(Registration, view=policies.registration_view),
                AccessRule(ResultVersion, view=policies.version_view),
                AccessRule(Result, view=policies.version_view_of_result),
                AccessRule(Outcome, view=policies.outcome_view),
                AccessRule(
                    ScoreUpload,
                    view=policies.score_upload_view,
                    change=policies.score_upload_view,
                ),
            ]
        )

        # --- management (c12-manage) ---
        from competitions import home
        from training_platform.extensions import home_panels

        home_panels.extend([home.managed_competitions_panel])
        # --- end management ---
        # --- c12-publish ---
        from bases.extensions import earned_honours
        from competitions import records
        from trainees.extensions import record_sources

        record_sources.register(records.COMPETITIONS)
        earned_honours.register(records.titles_earned)
        # --- end c12-publish ---
