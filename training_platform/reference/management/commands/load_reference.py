import json
from dataclasses import asdict

from django.core.management.base import BaseCommand

from training_platform.reference.services import reference_data_load


class Command(BaseCommand):
    help = "Load Guizhou divisions, the 2022 occupations and key groups (idempotent)."

    def handle(self, *args, **options):
        summary = reference_data_load()
        self.stdout.write(json.dumps(asdict(summary), ensure_ascii=False))
