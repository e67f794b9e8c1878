"""python manage.py import_roster --class <id or code> FILE [--dry-run]

Prints the import summary as JSON; exits non-zero when the file was refused.
"""

from courses.management.class_import import ClassImportCommand
from courses.roster import ROSTER_IMPORT


class Command(ClassImportCommand):
    help = "Import a class roster (xlsx) and print the summary as JSON."
    kind = ROSTER_IMPORT
