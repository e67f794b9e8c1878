"""Roster import (花名册导入) benchmark: 10,000 and 100,000-row files into SQLite.

Figures, each from its own child process (``python -m bench.roster --child ...``) on
its own copy of a migrated template database, so that every run starts from the same
state and its peak memory (``os.wait4`` rusage of that child) is its own:

* ``openpyxl``: ``openpyxl.load_workbook(path, read_only=True)`` and every row's
  values, the yardstick (reading only, no validation, nothing written);
* ``import``: ``read_roster`` + ``roster_import`` end to end (parse, validate, write);
* ``reimport``: the same file again on the database ``import`` left (a no-op:
  ``already_enrolled == rows``);
* ``peer``: the same "create the trainees and enrol them" through django-import-export
  in bulk mode (see ``_peer_resource`` for the fairness choices).

Timings are taken inside the child around the work only (not interpreter start-up or
``django.setup()``). Runs are interleaved (openpyxl, import, reimport, peer, repeat);
10k figures are medians of 3 runs, 100k of 1 (``BENCH_ROSTER_REPEAT`` overrides both).

django-import-export is a benchmark-only dependency (requirements-bench.lock, installed
by ``make bench``); it is not in INSTALLED_APPS and does not need to be: resources
only use the ORM.

``python -m bench.roster`` runs this benchmark alone; ``BENCH_ROSTER_ROWS=10000,100000``
sets the sizes; ``BENCH_ROSTER_PROFILE=1`` adds a cProfile of the smallest import
(top 15 by cumulative time) to the output.
"""

import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import RESULTS, ROOT, machine, write_result

CACHE = RESULTS / ".cache"  # gitignored
FILE_VERSION = 1  # bump when the generated content changes
SETTINGS = "training_platform.settings.test"
CLASS_CODE = "BENCH-ROSTER"
TARGET_IMPORT_VS_OPENPYXL = 0.5
TARGET_PEAK_MB = 300
TARGET_PEER_RATIO = 5.0


# --- child process side ------------------------------------------------------------


def _django(db: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()


def _maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _child_template(db: str, max_rows: int) -> dict:
    """Migrate, load reference data and create an open class with room for everyone."""
    _django(db)
    from django.core.management import call_command

    from bases.models import InstitutionKind, QualificationStatus, TrainingInstitution
    from courses.models import ClassStatus, Course, CourseKind, TrainingClass
    from training_platform.reference.models import Occupation, Region, RegionLevel
    from training_platform.reference.services import reference_data_load
    from training_platform.validators import complete_credit_code

    call_command("migrate", verbosity=0, interactive=False)
    reference_data_load()
    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    institution = TrainingInstitution.objects.create(
        name="基准测试职业培训学校",
        credit_code=complete_credit_code("52520100MJ000001" + "0"),
        kind=InstitutionKind.PRIVATE_SCHOOL,
        region=county,
        status=QualificationStatus.APPROVED,
    )
    course = Course.objects.create(
        institution=institution,
        occupation=Occupation.objects.order_by("pk").first(),
        title="基准测试项目",
        kind=CourseKind.EMPLOYMENT,
        hours=40,
    )
    today = dt.date.today()
    cls = TrainingClass.objects.create(
        code=CLASS_CODE,
        course=course,
        region=county,
        start_date=today,
        end_date=today + dt.timedelta(days=30),
        capacity=max_rows,
        status=ClassStatus.OPEN,
    )
    return {"class_pk": cls.pk}


def _child_generate(db: str, path: str, rows: int) -> dict:
    """Write a valid roster of ``rows`` people with openpyxl write-only."""
    _django(db)
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from courses.roster import COLUMNS
    from trainees.models import Education
    from training_platform.reference.models import KeyGroup, Region, RegionLevel
    from training_platform.validators import complete_id_number

    rng = random.Random(20240611)
    counties = list(
        Region.objects.filter(level=RegionLevel.COUNTY, code__startswith="52")
        .select_related("parent")
        .order_by("code")
    )
    groups = list(
        KeyGroup.objects.filter(is_active=True).values_list("name", flat=True)
    )
    educations = [label for _value, label in Education.choices] + ["高中", "中专", ""]
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜"
    given = (
        "文华建国明伟芳丽军强敏静磊洋艳勇杰娟涛超秀英霞平刚桂兰志红辉玉梅鹏飞云贵黔山"
    )
    base = dt.date(1965, 1, 1)

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append([c.header for c in COLUMNS])
    keys = [c.key for c in COLUMNS]

    def text(value):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "@"  # ID and phone as text, as the template has them
        return cell

    for i in range(rows):
        county = counties[i % len(counties)]
        # (birth date, sequence) is unique per i: 1,000 people per birth date.
        day, seq = divmod(i, 1000)
        birth = base + dt.timedelta(days=day * 97)
        id_number = complete_id_number(f"{county.code}{birth:%Y%m%d}{seq:03d}")
        where = rng.random()
        if where < 0.6:
            region = county.name
        elif where < 0.8:
            region = county.parent.name + county.name
        elif where < 0.9:
            region = county.code
        else:
            region = ""
        picked = rng.random()
        if picked < 0.5:
            key_groups = ""
        elif picked < 0.85:
            key_groups = rng.choice(groups)
        else:
            key_groups = "、".join(rng.sample(groups, 2))
        values = {
            "name": rng.choice(surnames)
            + "".join(rng.choices(given, k=rng.randint(1, 2))),
            "id_number": text(id_number),
            "phone": text(f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"),
            "household_region": region,
            "education": rng.choice(educations),
            "key_groups": key_groups,
        }
        ws.append([values[k] for k in keys])
    tmp = f"{path}.tmp"
    wb.save(tmp)
    os.replace(tmp, path)
    return {"bytes": os.path.getsize(path)}


def _child_openpyxl(path: str, defused: str = "defused") -> dict:
    """openpyxl's read-only read; ``plain``: as a plain ``pip install openpyxl`` has it
    (no defusedxml importable, so openpyxl parses with the standard library's
    ElementTree), ``defused``: with defusedxml importable, as this project's
    environment has it (openpyxl then parses through defusedxml, about half as fast)."""
    if defused == "plain":
        sys.modules["defusedxml"] = None  # an import of it now raises ImportError
    import openpyxl

    assert openpyxl.xml.DEFUSEDXML is (defused != "plain")
    cpu, start = time.process_time(), time.perf_counter()
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = 0
    for _values in wb.active.iter_rows(values_only=True):
        rows += 1
    wb.close()
    return {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu,
        "rows": rows - 1,
    }


# The whole-process baseline: what a user waits for when reading the file with openpyxl
# from the shell (interpreter start-up and openpyxl's import included).
PLAIN_READ_SCRIPT = (
    "import sys\n"
    "if sys.argv[2] == 'plain': sys.modules['defusedxml'] = None\n"
    "import openpyxl\n"
    "wb = openpyxl.load_workbook(sys.argv[1], read_only=True)\n"
    "n = sum(1 for _ in wb.active.iter_rows(values_only=True))\n"
    "wb.close()\n"
    "print(n - 1)\n"
)


def _child_import(db: str, path: str, expect: str) -> dict:
    """``expect``: ``new`` (an import into an empty class), ``again`` (the same file
    on the database ``new`` left: a no-op) or ``dry`` (a dry run: read, validate, look
    people up, write nothing; what ``import_roster --dry-run`` does)."""
    _django(db)
    from courses.models import TrainingClass
    from courses.roster import read_roster, roster_import

    cls = TrainingClass.objects.get(code=CLASS_CODE)
    baseline = _maxrss_mb()
    profile = os.environ.get("BENCH_ROSTER_CHILD_PROFILE") == "1"
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu, start = time.process_time(), time.perf_counter()
    with open(path, "rb") as f:
        summary = roster_import(
            training_class=cls, rows=read_roster(f), dry_run=expect == "dry"
        )
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    if profile:
        import io
        import pstats

        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(15)
        sys.stderr.write(out.getvalue())
    assert not summary["errors"], summary["errors"][:5]
    if expect in ("new", "dry"):
        assert summary["created_trainees"] == summary["enrolled"] == summary["rows"]
    else:
        assert summary["already_enrolled"] == summary["rows"], summary
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rows": summary["rows"],
        "baseline_rss_mb": baseline,
        "peak_rss_mb_self": _maxrss_mb(),
    }


def _peer_resource():
    """A django-import-export ModelResource doing what ``roster_import`` does.

    Fairness choices (all in the peer's favour, so the ratio is conservative):

    * the peer's documented fast path: ``use_bulk = True`` (bulk_create in batches of
      1,000), ``skip_diff = True`` (no per-row deepcopy/diff), no
      ``clean_model_instances`` (ours does not call full_clean either);
    * no per-row queries: the stock instance loader (one SELECT per row by
      ``import_id_fields``) and ForeignKeyWidget (one SELECT per row) are replaced by
      lookups prefetched once per file, as ours does - existing people are found by
      blind index in chunks in ``before_import``; regions and education use our own
      lookup tables (codes, names, 市州+县 names, aliases);
    * the same per-row validation and derivation: ``parse_id_number`` and
      ``id_number_fields`` (encrypted ID, blind index, birth year, sex),
      ``normalize_mobile``;
    * what bulk mode cannot do (m2m) is done set-based in ``after_import``: key-group
      memberships, enrolments of everyone not already enrolled, the seat count - all
      with bulk_create/one UPDATE, inside the peer's import transaction;
    * reading: the peer's own xlsx format (``import_export.formats.base_formats.XLSX``,
      openpyxl read-only into a tablib Dataset), as its admin import does; ours reads
      with calamine. Reading is part of "import a file" for both;
    * left out of the peer (ours does them): the per-file duplicate-ID check, the
      same-ID-different-name check, capacity errors per row, the audit record.
    """
    from django.core.exceptions import ValidationError
    from django.db.models import F
    from django.utils import timezone
    from import_export import fields, resources, widgets

    from courses import roster
    from courses.models import (
        Enrolment,
        EnrolmentSource,
        EnrolmentStatus,
        TrainingClass,
    )
    from trainees.models import KeyGroupMembership, Trainee, id_number_fields
    from training_platform.reference.models import KeyGroup
    from training_platform.reference.regions import RegionUnresolved, region_resolver
    from training_platform.validators import (
        normalize,
        normalize_mobile,
        parse_id_number,
    )

    headers = roster.HEADERS
    derived = ("id_number", "id_number_hash", "birth_year", "sex")

    class RegionWidget(widgets.ForeignKeyWidget):
        def __init__(self):
            super().__init__(roster.Region, "code")
            self.resolver = region_resolver()

        def clean(self, value, row=None, **kwargs):
            if not roster.optional_text(value):
                return None
            try:
                return self.resolver.resolve(value)
            except RegionUnresolved as exc:
                raise ValueError(exc.messages[0]) from None

    class EducationWidget(widgets.CharWidget):
        def __init__(self):
            super().__init__()
            self.lookup = roster._education_lookup()

        def clean(self, value, row=None, **kwargs):
            text = roster.optional_text(value)
            if not text:
                return ""
            if text not in self.lookup:
                raise ValueError(f"文化程度“{text}”无法识别")
            return self.lookup[text]

    class MobileWidget(widgets.CharWidget):
        def clean(self, value, row=None, **kwargs):
            return normalize_mobile(value)

    class NameWidget(widgets.CharWidget):
        def clean(self, value, row=None, **kwargs):
            return roster.bare_name(value)

    class TraineeResource(resources.ModelResource):
        name = fields.Field("name", headers["name"], widget=NameWidget())
        phone = fields.Field("phone", headers["phone"], widget=MobileWidget())
        household_region = fields.Field(
            "household_region", headers["household_region"], widget=RegionWidget()
        )
        residence_region = fields.Field(
            "residence_region", headers["household_region"], widget=RegionWidget()
        )
        education = fields.Field(
            "education", headers["education"], widget=EducationWidget()
        )
        # Filled in before_import from the ID column (never read from the file).
        id_number = fields.Field("id_number", "id_number")
        id_number_hash = fields.Field("id_number_hash", "id_number_hash")
        birth_year = fields.Field("birth_year", "birth_year", widget=widgets.Widget())
        sex = fields.Field("sex", "sex")

        class Meta:
            model = Trainee
            fields = (
                "name",
                "phone",
                "household_region",
                "residence_region",
                "education",
                *derived,
            )
            import_id_fields = ("id_number_hash",)
            use_bulk = True
            skip_diff = True
            batch_size = 1000

        def __init__(self, training_class):
            super().__init__()
            self.training_class = training_class
            self.existing = {}
            self.instances = {}

        def before_import(self, dataset, **kwargs):
            infos = []
            for value in dataset[headers["id_number"]]:
                try:
                    infos.append(id_number_fields(parse_id_number(value)))
                except ValidationError:
                    infos.append(dict.fromkeys(derived))  # the row fails on save
            for key in derived:
                dataset.append_col([info[key] for info in infos], header=key)
            hashes = [info["id_number_hash"] for info in infos if info["id_number"]]
            for chunk in roster.chunks(hashes):
                for trainee in Trainee.objects.filter(id_number_hash__in=chunk):
                    self.existing[trainee.id_number_hash] = trainee

        def get_instance(self, instance_loader, row):
            return self.existing.get(row["id_number_hash"])

        def after_init_instance(self, instance, new, row, **kwargs):
            self.instances[row["id_number_hash"]] = instance

        def after_import(self, dataset, result, **kwargs):
            if result.has_errors() or result.has_validation_errors():
                return
            cls = TrainingClass.objects.select_for_update().get(
                pk=self.training_class.pk
            )
            ids = {h: t.pk for h, t in self.instances.items()}
            enrolled = set()
            for chunk in roster.chunks(list(ids.values())):
                enrolled.update(
                    Enrolment.objects.filter(
                        training_class=cls,
                        trainee_id__in=chunk,
                        status=EnrolmentStatus.ENROLLED,
                    ).values_list("trainee_id", flat=True)
                )
            to_enrol = [pk for pk in ids.values() if pk not in enrolled]
            if len(to_enrol) > cls.seats_left:
                raise ValidationError("培训班名额已满")
            groups = {
                normalize(g.name): g for g in KeyGroup.objects.filter(is_active=True)
            }
            today = timezone.localdate()
            memberships = []
            for h, cell in zip(
                dataset["id_number_hash"], dataset[headers["key_groups"]], strict=True
            ):
                for raw in roster._GROUP_SEPARATORS.split(str(cell or "")):
                    group = groups.get(normalize(raw))
                    if group is not None:
                        memberships.append(
                            KeyGroupMembership(
                                trainee_id=ids[h], group=group, since=today
                            )
                        )
            KeyGroupMembership.objects.bulk_create(
                memberships, batch_size=roster.BATCH_SIZE, ignore_conflicts=True
            )
            Enrolment.objects.bulk_create(
                [
                    Enrolment(
                        trainee_id=pk,
                        training_class=cls,
                        source=EnrolmentSource.ROSTER,
                    )
                    for pk in to_enrol
                ],
                batch_size=roster.BATCH_SIZE,
            )
            TrainingClass.objects.filter(pk=cls.pk).update(
                seats_taken=F("seats_taken") + len(to_enrol)
            )
            result.bench_enrolled = len(to_enrol)

    return TraineeResource


def _child_peer(db: str, path: str) -> dict:
    _django(db)
    from import_export.formats.base_formats import XLSX

    from courses.models import Enrolment, TrainingClass

    cls = TrainingClass.objects.get(code=CLASS_CODE)
    resource_class = _peer_resource()
    baseline = _maxrss_mb()
    start = time.perf_counter()
    with open(path, "rb") as f:
        dataset = XLSX().create_dataset(f.read())
    resource = resource_class(cls)
    result = resource.import_data(dataset, use_transactions=True, raise_errors=True)
    seconds = time.perf_counter() - start
    assert not result.has_errors() and not result.has_validation_errors()
    rows = len(dataset)
    assert result.totals["new"] == rows, result.totals
    assert result.bench_enrolled == rows
    assert Enrolment.objects.filter(training_class=cls).count() == rows
    return {
        "seconds": seconds,
        "rows": rows,
        "baseline_rss_mb": baseline,
        "peak_rss_mb_self": _maxrss_mb(),
    }


def _child(argv: list[str]) -> None:
    mode, *args = argv
    if mode == "template":
        out = _child_template(args[0], int(args[1]))
    elif mode == "generate":
        out = _child_generate(args[0], args[1], int(args[2]))
    elif mode == "openpyxl":
        out = _child_openpyxl(*args)
    elif mode in ("import", "reimport", "dryrun"):
        expect = {"import": "new", "reimport": "again", "dryrun": "dry"}[mode]
        out = _child_import(args[0], args[1], expect)
    elif mode == "peer":
        out = _child_peer(args[0], args[1])
    else:
        raise SystemExit(f"unknown mode {mode}")
    sys.stdout.write(json.dumps(out) + "\n")


# --- parent side ---------------------------------------------------------------------


def _run(*args, env=None) -> dict:
    """Run a child; its JSON result plus its own peak RSS (``os.wait4`` rusage)."""
    proc = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "bench.roster", "--child", *map(str, args)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    out = proc.stdout.read()
    proc.stdout.close()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"bench child {args[0]} failed ({proc.returncode})")
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    return result


def _timed_process(argv: list, *, env=None) -> dict:
    """A whole process as a user runs it: wall seconds from spawn to exit (interpreter
    start-up, imports and ``django.setup()`` included), its CPU seconds (user + system)
    and peak RSS from ``os.wait4``'s rusage."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603 - our own commands, fixed arguments
            [str(a) for a in argv],
            stdout=subprocess.PIPE,
            stderr=errors,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
        )
        out = proc.stdout.read()
        proc.stdout.close()
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            errors.seek(0)
            tail = errors.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{argv[1:4]} failed: {tail}")
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "stdout": out.decode(errors="replace")[-300:],
    }


def _plain_read(path: Path, defused: str) -> dict:
    return _timed_process([sys.executable, "-c", PLAIN_READ_SCRIPT, path, defused])


def _command(db: Path, path: Path, *extra) -> dict:
    """``manage.py import_roster --class BENCH-ROSTER FILE --dry-run`` as a user runs it."""
    result = _timed_process(
        [
            sys.executable,
            "manage.py",
            "import_roster",
            "--class",
            CLASS_CODE,
            path,
            "--dry-run",
            *extra,
        ],
        env={"DATABASE_URL": f"sqlite:///{db}", "DJANGO_SETTINGS_MODULE": SETTINGS},
    )
    summary = json.loads(result.pop("stdout"))
    assert not summary["errors"] and summary["enrolled"] == summary["rows"], summary
    return result


def _help(db: Path) -> dict:
    """``manage.py import_roster --help``: the command's start-up alone."""
    return _timed_process(
        [sys.executable, "manage.py", "import_roster", "--help"],
        env={"DATABASE_URL": f"sqlite:///{db}", "DJANGO_SETTINGS_MODULE": SETTINGS},
    )


def _sizes() -> list[int]:
    raw = os.environ.get("BENCH_ROSTER_ROWS", "50000")
    return [int(x) for x in raw.split(",") if x.strip()]


def _repeats(rows: int) -> int:
    if "BENCH_ROSTER_REPEAT" in os.environ:
        return int(os.environ["BENCH_ROSTER_REPEAT"])
    return 3 if rows <= 60_000 else 1


MODES = (
    "openpyxl_defused",
    "openpyxl_plain",
    "dryrun",
    "import",
    "reimport",
    "peer",
    "process_openpyxl_defused",
    "process_openpyxl_plain",
    "process_command",
    "process_help",
)


def bench_roster() -> dict:
    sizes = _sizes()
    CACHE.mkdir(parents=True, exist_ok=True)
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.sqlite3"
        start = time.perf_counter()
        sys.stderr.write("roster bench: migrating a template database\n")
        _run("template", template, max(sizes))
        template_seconds = time.perf_counter() - start
        for leftover in Path(tmp).glob("template.sqlite3-*"):
            leftover.unlink()  # the WAL is checkpointed when the child closes

        def fresh(name: str) -> Path:
            db = Path(tmp) / f"{name}.sqlite3"
            for old in Path(tmp).glob(f"{name}.sqlite3*"):
                old.unlink()
            shutil.copyfile(template, db)
            return db

        for rows in sizes:
            path = CACHE / f"roster-{rows}-v{FILE_VERSION}.xlsx"
            if not path.exists():
                sys.stderr.write(f"roster bench: writing a {rows:,}-row file\n")
                _run("generate", fresh("generate"), path, rows)
            runs = {mode: [] for mode in MODES}
            repeats = _repeats(rows)
            for i in range(repeats):
                sys.stderr.write(
                    f"roster bench: {rows:,} rows, round {i + 1}/{repeats}\n"
                )
                runs["openpyxl_defused"].append(_run("openpyxl", path, "defused"))
                runs["openpyxl_plain"].append(_run("openpyxl", path, "plain"))
                runs["dryrun"].append(_run("dryrun", fresh("dry"), path))
                runs["process_openpyxl_plain"].append(_plain_read(path, "plain"))
                runs["process_command"].append(_command(fresh("cmd"), path))
                runs["process_openpyxl_defused"].append(_plain_read(path, "defused"))
                runs["process_help"].append(_help(fresh("cmd")))
                db = fresh("ours")
                runs["import"].append(_run("import", db, path))
                runs["reimport"].append(_run("reimport", db, path))
                if os.environ.get("BENCH_ROSTER_PEER", "1") == "1":
                    runs["peer"].append(_run("peer", fresh("peer"), path))
            figures[rows] = _summarise(rows, path, runs)
        profile = None
        if os.environ.get("BENCH_ROSTER_PROFILE") == "1":
            rows = min(sizes)
            path = CACHE / f"roster-{rows}-v{FILE_VERSION}.xlsx"
            proc = subprocess.run(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "bench.roster",
                    "--child",
                    "import",
                    str(fresh("profile")),
                    str(path),
                ],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
                env={**os.environ, "BENCH_ROSTER_CHILD_PROFILE": "1"},
            )
            profile = proc.stderr
    return {
        "name": "roster",
        "machine": machine(),
        "versions": _versions(),
        "baselines": BASELINES,
        "template_db_seconds": round(template_seconds, 2),
        "targets": {
            "dry_run_vs_openpyxl_read_max": TARGET_IMPORT_VS_OPENPYXL,
            "command_process_vs_plain_read_process_max": 1.0,
            "peak_rss_mb_at_100k_max": TARGET_PEAK_MB,
            "peer_ratio_min": TARGET_PEER_RATIO,
        },
        "sizes": {str(rows): fig for rows, fig in figures.items()},
        **({"profile_import_top15_cumulative": profile} if profile else {}),
    }


BASELINES = {
    "openpyxl_plain": "openpyxl.load_workbook(path, read_only=True) and every row's "
    "values (iter_rows(values_only=True)), defusedxml NOT importable (a plain "
    "`pip install openpyxl`: the standard library's ElementTree), in-process, "
    "openpyxl's import not timed",
    "openpyxl_defused": "the same read with defusedxml importable (this project's "
    "environment: openpyxl parses through defusedxml)",
    "process_openpyxl_plain": "`python -c` doing that plain read (no defusedxml) as a "
    "whole process: interpreter start-up and `import openpyxl` included",
    "process_openpyxl_defused": "the same `python -c` process with defusedxml importable",
    "process_command": "`manage.py import_roster --class BENCH-ROSTER FILE --dry-run` "
    "as a whole process (start-up, django.setup(), read, validate, look up, summary)",
    "process_help": "`manage.py import_roster --help`: the command's start-up alone",
    "dryrun": "roster_import(dry_run=True) in-process: read (calamine + the hostile-file "
    "checks), validate every row, look people and enrolments up; nothing written",
    "import": "roster_import in-process, end to end (parse, validate, write)",
    "peer": "django-import-export bulk import of the same file (see _peer_resource)",
}


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in (
        "openpyxl",
        "defusedxml",
        "python-calamine",
        "django-import-export",
        "opencv-python-headless",
        "Django",
        "wagtail",
    ):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _summarise(rows: int, path: Path, runs: dict) -> dict:
    def median(mode, key="seconds"):
        values = [r[key] for r in runs[mode] if key in r]
        return statistics.median(values) if values else None

    def r(value, digits=3):
        return None if value is None else round(value, digits)

    def ratio(a, b):
        return None if a is None or not b else round(a / b, 2)

    out = {
        "rows": rows,
        "file_bytes": path.stat().st_size,
        "runs": len(runs["dryrun"]),
    }
    for mode in MODES:
        out[f"{mode}_seconds"] = r(median(mode))
        out[f"{mode}_cpu_seconds"] = r(median(mode, "cpu_seconds"))
    out.update(
        {
            "dryrun_vs_openpyxl_plain": ratio(
                median("dryrun"), median("openpyxl_plain")
            ),
            "dryrun_vs_openpyxl_defused": ratio(
                median("dryrun"), median("openpyxl_defused")
            ),
            "dryrun_cpu_vs_openpyxl_plain_cpu": ratio(
                median("dryrun", "cpu_seconds"), median("openpyxl_plain", "cpu_seconds")
            ),
            "import_vs_openpyxl_plain": ratio(
                median("import"), median("openpyxl_plain")
            ),
            "import_vs_openpyxl_defused": ratio(
                median("import"), median("openpyxl_defused")
            ),
            "command_vs_plain_read_process": ratio(
                median("process_command"), median("process_openpyxl_plain")
            ),
            "command_vs_defused_read_process": ratio(
                median("process_command"), median("process_openpyxl_defused")
            ),
            "command_cpu_vs_plain_read_process_cpu": ratio(
                median("process_command", "cpu_seconds"),
                median("process_openpyxl_plain", "cpu_seconds"),
            ),
            "import_rows_per_second": round(rows / median("import")),
            "peer_ratio": ratio(median("peer"), median("import")),
            "import_peak_rss_mb": round(
                max(x["peak_rss_mb"] for x in runs["import"]), 1
            ),
            "command_peak_rss_mb": round(
                max(x["peak_rss_mb"] for x in runs["process_command"]), 1
            ),
            "all_seconds": {
                mode: [round(x["seconds"], 3) for x in xs] for mode, xs in runs.items()
            },
        }
    )
    return out


def table(result: dict) -> str:
    """This benchmark's rows of the one table (what, ours, baseline, ratio)."""
    from bench.summary import roster_rows, rows_table

    return rows_table(roster_rows(result))


def main() -> dict:
    result = bench_roster()
    write_result("roster", result)
    sys.stdout.write(table(result) + "\n")
    if "profile_import_top15_cumulative" in result:
        sys.stdout.write(result["profile_import_top15_cumulative"])
    return result


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2:])
    else:
        main()
