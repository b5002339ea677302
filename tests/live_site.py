"""The site as an operator runs it, for tests that need real processes: gunicorn with the
production settings, on a fresh database of its own (SQLite on the suite's SQLite pass,
PostgreSQL on its PostgreSQL pass), optionally with its own Redis; and people in browsers,
who sign in and post the admin's own forms.

Used by the concurrency and fault tests, and by bench/fault_bench.py.
"""

import atexit
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from tests.browser_forms import form_data
from tests.production import static_files_held

PROJECT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
# Every answer arrives well within this, or the test fails rather than hanging.
REQUEST_TIMEOUT = 15


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fresh_environment(**env: str) -> dict:
    """This process's environment without test or site settings, plus the real settings
    module and `env`: the site as an operator would run it."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "REDIS_URL", "DATABASE_URL", "GUNICORN_"))
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="neckinfo.settings")
    return environment


# Databases.


class Database:
    """A database made for one live site, and dropped afterwards."""

    url: str

    def create(self) -> None: ...

    def create_from(self, template: "Database") -> None:
        """Create this database as a copy of `template` (one of the same engine)."""

    def drop(self) -> None: ...

    def query(self, sql: str, parameters=()) -> list[tuple]: ...

    def execute(self, sql: str, parameters=()) -> None: ...


class SQLiteDatabase(Database):
    def __init__(self, folder: Path):
        self.path = folder / "live.sqlite3"
        self.url = f"sqlite:///{self.path}"

    def _connect(self):
        import sqlite3

        return sqlite3.connect(self.path, timeout=20)

    def create_from(self, template):
        import sqlite3

        # The backup API copies a consistent database, whatever its journal holds.
        source, copy = sqlite3.connect(template.path), sqlite3.connect(self.path)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()

    def drop(self):
        self.path.unlink(missing_ok=True)

    def query(self, sql, parameters=()):
        with self._connect() as connection:
            return connection.execute(sql, parameters).fetchall()

    def execute(self, sql, parameters=()):
        with self._connect() as connection:
            connection.execute(sql, parameters)


class PostgresDatabase(Database):
    def terminate_connections(self) -> int:
        """Kill every connection to this database (as a failover or a restart would)."""
        import psycopg

        with psycopg.connect(self.server_url, autocommit=True, connect_timeout=5) as connection:
            return len(
                connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (self.name,),
                ).fetchall()
            )

    def __init__(self, server_url: str):
        parts = urlsplit(server_url)
        self.name = f"neckinfo_live_{uuid.uuid4().hex[:12]}"
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        self.server_url = urlunsplit(parts._replace(path="/postgres"))

    def _maintenance(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.server_url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(statement)

    def create(self):
        self._maintenance(f'CREATE DATABASE "{self.name}"')

    def create_from(self, template):
        # A file-level copy: much faster than migrating again. The template has no
        # connections left (the commands that filled it have exited), as PostgreSQL requires.
        self._maintenance(f'CREATE DATABASE "{self.name}" TEMPLATE "{template.name}"')

    def drop(self):
        self._maintenance(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql, parameters=()):
        import psycopg

        with psycopg.connect(self.url, connect_timeout=5) as connection:
            return connection.execute(sql.replace("?", "%s"), parameters).fetchall()

    def execute(self, sql, parameters=()):
        import psycopg

        with psycopg.connect(self.url, connect_timeout=5) as connection:
            connection.execute(sql.replace("?", "%s"), parameters)


POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def database_for_this_pass(folder: Path, engine: str | None = None) -> Database:
    """A new database on `engine` ("sqlite" or "postgres"), by default the one the suite is
    running on (DATABASE_URL, as `make test` sets it for the PostgreSQL pass)."""
    url = os.environ.get("DATABASE_URL", "")
    if engine is None:
        engine = "postgres" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    if engine == "postgres":
        return PostgresDatabase(url if url.startswith("postgres") else POSTGRES_SERVER)
    return SQLiteDatabase(folder)


# Redis.


class OwnRedis:
    """A Redis server of this test's own, on a free port, that the test may stop, kill and
    pause (never the shared one on 6379)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(100):
            if self.answers():
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)


# The site.


@dataclass
class LiveSite:
    url: str
    database: Database
    env: dict
    server: subprocess.Popen
    log: Path
    people: dict = field(default_factory=dict)

    def browser(self) -> "Browser":
        return Browser(self.url)

    def signed_in(self, username: str) -> "Browser":
        browser = self.browser()
        browser.sign_in(username, PASSWORD)
        return browser

    def manage(self, *args: str) -> str:
        return manage(self.env, *args)

    def shell(self, code: str):
        """Run Python in the site's environment (its settings and database); the value of
        the JSON it prints last."""
        output = manage(self.env, "shell", "-c", code)
        return json.loads(output.strip().splitlines()[-1])

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def manage(env: dict, *args: str) -> str:
    finished = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=env.get("PWD", PROJECT), env=env,
        capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    if finished.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed:\n{finished.stdout}{finished.stderr}"
        )
    return finished.stdout


# An Editor (Ed), two medical reviewers (Rita and Raj), each with a known password.
PEOPLE_SETUP = """
from django.contrib.auth.models import Group, User
for username, group, first, last in [
    ("ed", "Editor", "Ed", "Writer"),
    ("rita", "Medical reviewer", "Rita", "Okafor"),
    ("raj", "Medical reviewer", "Raj", "Patel"),
]:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD,
                                    is_staff=True, first_name=first, last_name=last)
    user.groups.add(Group.objects.get(name=group))
"""


# A database migrated, with the sample articles and the people, made once per engine and
# project (for the first site) and copied for each site after it: migrating and importing
# take seconds, a copy none. Dropped when this process exits.
_TEMPLATES: dict[tuple, Database] = {}


def _site_environment(database: Database, project: Path, **env: str) -> dict:
    return fresh_environment(
        DJANGO_DEBUG="0",
        DJANGO_SECURE="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database.url,
        PWD=str(project),
        **env,
    )


def _template(database: Database, project: Path, settings: dict) -> Database:
    """A filled database to copy into `database`: one of the same engine and server."""
    key = (type(database), getattr(database, "server_url", None), project, tuple(settings.items()))
    if key not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="neckinfo-template-"))
        if isinstance(database, PostgresDatabase):
            template = PostgresDatabase(database.server_url)
        else:
            template = SQLiteDatabase(folder)
        template.create()
        atexit.register(_drop_template, template, folder)
        env = _site_environment(template, project, **settings)
        manage(env, "migrate", "--noinput")
        manage(
            {**env, "DJANGO_PUBLISH_UNREVIEWED_IMPORTS": "1"},  # sample content, as `make serve`
            "import_articles", "--publish", "conditions/sample_content",
        )  # fmt: skip
        manage(env, "shell", "-c", f"PASSWORD = {PASSWORD!r}\n{PEOPLE_SETUP}")
        _TEMPLATES[key] = template
    return _TEMPLATES[key]


def _drop_template(template: Database, folder: Path) -> None:
    try:
        template.drop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def live_site(
    workers: int = 2,
    redis: OwnRedis | None = None,
    engine: str | None = None,
    project: Path = PROJECT,
    **settings: str,
):
    """gunicorn with `workers` sync workers, debug off, plain HTTP, on a new database (with the
    sample articles, published, and the three people), and Redis when given. Yields a
    LiveSite; stops the server and drops the database afterwards. `project` is the checkout
    to serve (the benchmark measures an older one beside this one)."""
    folder = Path(tempfile.mkdtemp(prefix="neckinfo-live-"))
    database = database_for_this_pass(folder, engine)
    port = free_port()
    env = _site_environment(
        database,
        project,
        PORT=str(port),
        WEB_CONCURRENCY=str(workers),
        GUNICORN_ACCESS_LOG="/dev/null",
        **({"REDIS_URL": redis.url} if redis else {}),
        **settings,
    )
    log = folder / "gunicorn.log"
    try:
        database.create_from(_template(database, project, settings))
        with static_files_held(project):
            manage(env, "collectstatic", "--noinput", "--verbosity", "0")
            with log.open("w") as output:
                server = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                    cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=output,
                )  # fmt: skip
            try:
                site = LiveSite(f"http://127.0.0.1:{port}", database, env, server, log)
                _wait_until_it_answers(site)
                yield site
            finally:
                _stop(server)
    finally:
        database.drop()
        shutil.rmtree(folder, ignore_errors=True)


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _wait_until_it_answers(site: LiveSite) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if site.server.poll() is not None:
            raise RuntimeError("gunicorn exited on start-up:\n" + site.log_text())
        try:
            if site.browser().get("/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer within 60 s:\n" + site.log_text())


# People in browsers.


@dataclass
class Answer:
    status: int
    headers: dict
    body: str

    def form(self, form_id: str) -> dict:
        return form_data(self.body, form_id)


class Browser:
    """One person's browser: its own cookies (so its own session) and connection."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, path: str, headers: dict | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, data) -> Answer:
        body = urlencode(data, doseq=True)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, body, headers)

    def request(self, method: str, path: str, body=None, headers=None) -> Answer:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Answer(response.status, dict(response.headers), raw.decode("utf-8", "replace"))

    def sign_in(self, username: str, password: str) -> None:
        page = self.get("/admin/login/")
        fields = page.form("login-form")
        fields.update(username=username, password=password, next="/admin/")
        answer = self.post("/admin/login/", fields)
        if answer.status != 302:
            raise RuntimeError(f"{username} could not sign in: HTTP {answer.status}")

    def open_form(self, path: str, form_id: str) -> dict:
        page = self.get(path)
        if page.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {page.status}")
        return page.form(form_id)


# A site under load while things go wrong.


@dataclass
class PhaseCounts:
    requests: int = 0
    server_errors: int = 0  # 5xx, or no answer at all
    stale_reads: int = 0  # the article page without a save acknowledged before the read began
    saves: int = 0
    saves_failed: int = 0  # a save that was neither applied nor refused with its text kept
    slowest_ms: float = 0.0
    errors: list = field(default_factory=list)


class LoadWithEdits:
    """Readers reading public pages in threads, and a reviewer saving an article through the
    admin over and over (in its working copy, signed off by a second reviewer, then
    published), each save writing "Save number N" into its body; counts per phase.

    A read of the article page that began after save N was acknowledged must show save N or a
    later one: otherwise it is a stale read. Every acknowledged save must be in the article's
    revision history at the end, and the last one live (`lost_saves`).
    """

    def __init__(self, site: LiveSite, readers: int = 4, pause_between_saves: float = 0.2):
        self.site = site
        self.readers = readers
        self.pause_between_saves = pause_between_saves
        self.article_pk = site.database.query(
            "SELECT MIN(article_ptr_id) FROM conditions_conditionarticle"
        )[0][0]
        self.change_path = f"/admin/conditions/conditionarticle/{self.article_pk}/change/"
        slug = site.database.query(
            "SELECT slug FROM conditions_article WHERE id = ?", (self.article_pk,)
        )[0][0]
        self.article_path = f"/conditions/{slug}/"
        self.paths = [self.article_path, "/", "/conditions/", "/faqs/", "/symptoms/",
                      "/symptoms/neck-pain/", "/search/?q=neck+stiffness", "/feed/"]  # fmt: skip
        self.phase = "start"
        self.counts: dict[str, PhaseCounts] = {}
        self.acknowledged: list[tuple[float, int]] = []  # (when, save number)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, phase: str = "start") -> None:
        """Readers and the editor at work, counted under `phase` until the next `during()`:
        the first phase, so that no request lands in a phase of its own, too short to judge."""
        self.phase = phase
        # Signed in, and every worker warmed up (a worker's first admin page loads the
        # reading-grade dictionary), before the clock starts.
        self.editor = self.site.signed_in("rita")
        # The publish gate wants each copy signed off by a reviewer who didn't write it.
        self.signer = self.site.signed_in("raj")
        for _ in range(4):
            self._save(self.editor, 0)
        self._threads = [
            threading.Thread(target=self._read, args=(i,)) for i in range(self.readers)
        ]
        self._threads.append(threading.Thread(target=self._edit))
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=REQUEST_TIMEOUT * 3)
        assert not any(thread.is_alive() for thread in self._threads), "a request never ended"

    def during(self, phase: str, seconds: float) -> None:
        self.phase = phase
        time.sleep(seconds)

    def _count(self) -> PhaseCounts:
        return self.counts.setdefault(self.phase, PhaseCounts())

    def _last_acknowledged_before(self, moment: float) -> int:
        with self._lock:
            return max((n for when, n in self.acknowledged if when < moment), default=0)

    def _read(self, index: int) -> None:
        browser = self.site.browser()
        turn = index
        while not self._stop.is_set():
            path = self.paths[turn % len(self.paths)]
            turn += 1
            began = time.monotonic()
            expected = self._last_acknowledged_before(began)
            try:
                answer = browser.get(path, {"Accept-Encoding": "identity"})
                status, body = answer.status, answer.body
            except (OSError, http.client.HTTPException) as error:
                status, body = 0, f"{error.__class__.__name__}: {error}"
            took = (time.monotonic() - began) * 1000
            with self._lock:
                counts = self._count()
                counts.requests += 1
                counts.slowest_ms = max(counts.slowest_ms, took)
                if status >= 500 or status == 0:
                    counts.server_errors += 1
                    counts.errors.append(f"GET {path}: {status or body[:120]}")
                elif path == self.article_path and expected:
                    shown = [int(n) for n in re.findall(r"Save number (\d+)\.", body)]
                    if not shown or max(shown) < expected:
                        counts.stale_reads += 1
                        counts.errors.append(f"stale: save {expected} not on {path}")

    def _edit(self) -> None:
        number = 0
        while not self._stop.is_set():
            number += 1
            outcome = self._save(self.editor, number)
            with self._lock:
                counts = self._count()
                counts.saves += 1
                if outcome == "saved":
                    self.acknowledged.append((time.monotonic(), number))
                elif outcome != "refused":
                    counts.saves_failed += 1
                    counts.errors.append(f"save {number}: {outcome}")
            time.sleep(self.pause_between_saves)

    def _save(self, browser: "Browser", number: int) -> str:
        try:
            # A live article is changed in its working copy, which the reviewer publishes.
            page = browser.get(self.change_path)
            if page.status != 200:
                return f"form not shown: HTTP {page.status}"
            copy_path = open_working_copy(browser, page)
            if not copy_path.startswith("/"):
                return copy_path
            page = browser.get(copy_path)
            form = page.form("conditionarticle_form")
            body = re.sub(r"\s*Save number \d+\.\s*$", "", form["body"])
            form["body"] = f"{body}\n\nSave number {number}."
            form["reviewed_by"] = form.get("reviewed_by") or "Dr Raj Patel, MBBS"
            answer = browser.post(copy_path, {**form, "_save": "Save"})
            if answer.status == 302:
                sign_off = self.signer.get(copy_path).form("moderation_form")
                signed = self.signer.post(
                    copy_path.replace("/change/", "/moderate/"),
                    {**sign_off, "decision": "sign_off"},
                )
                if signed.status != 302:
                    return f"sign-off refused: HTTP {signed.status}"
                publish_path = copy_path.replace("/change/", "/working-copy/publish/")
                form = browser.get(publish_path).form("publish-working-copy")
                answer = browser.post(publish_path, form)
        except (OSError, http.client.HTTPException) as error:
            return f"no answer: {error.__class__.__name__}: {error}"
        except Exception as error:  # a page that isn't the form: count it, keep saving
            return f"unexpected page: {error.__class__.__name__}: {error}"
        if answer.status == 302:
            return "saved"
        if answer.status == 200 and f"Save number {number}." in answer.body:
            return "refused"  # with the text kept in the form: nothing lost
        return f"HTTP {answer.status}"

    def lost_saves(self) -> list[int]:
        """Acknowledged saves missing from the revision history, or the last one not live."""
        saved = [n for _, n in self.acknowledged]
        history = " ".join(
            row[0]
            for row in self.site.database.query(
                "SELECT serialized_data FROM reversion_version v JOIN django_content_type c "
                "ON c.id = v.content_type_id WHERE c.model = 'conditionarticle' "
                "AND v.object_id = ?",
                (str(self.article_pk),),
            )
        )
        lost = [n for n in saved if f"Save number {n}." not in history]
        live = self.site.database.query(
            "SELECT body FROM conditions_conditionarticle WHERE article_ptr_id = ?",
            (self.article_pk,),
        )[0][0]
        if saved and f"Save number {saved[-1]}." not in live:
            lost.append(saved[-1])
        return lost


# Two people pressing Save at the same instant.


def both_at_once(first, second) -> list:
    """Run `first` and `second` in two threads, released at the same instant; their results."""
    results: list = [None, None]
    start = threading.Barrier(2, timeout=30)

    def run(index, action):
        start.wait()
        results[index] = action()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if any(result is None for result in results):
        raise RuntimeError("a request did not answer")
    return results


def simultaneous_saves(site: LiveSite, path: str, form_id: str, field: str, read_back,
                       rounds: int) -> dict[str, int]:  # fmt: skip
    """`rounds` rounds of Rita and Raj opening the form at `path` and saving `field`, each with
    their own text, at the same instant. Counts the rounds by outcome: "one saved, one
    refused" (the only right one, with the refused text kept in its form and the saved text
    live), "both saved", "both refused", "saved text not live", "error"."""
    rita, raj = site.signed_in("rita"), site.signed_in("raj")
    outcomes: dict[str, int] = {}
    for number in range(rounds):
        forms = both_at_once(
            partial(rita.open_form, path, form_id), partial(raj.open_form, path, form_id)
        )
        texts = [f"Rita's text, round {number}.", f"Raj's text, round {number}."]
        for form, text in zip(forms, texts, strict=True):
            form[field] = text
        answers = both_at_once(
            partial(rita.post, path, {**forms[0], "_save": "Save"}),
            partial(raj.post, path, {**forms[1], "_save": "Save"}),
        )
        results = [_saved_or_refused(a, t) for a, t in zip(answers, texts, strict=True)]
        if sorted(results) == ["refused", "saved"]:
            winner = texts[results.index("saved")]
            outcome = "one saved, one refused" if read_back() == winner else "saved text not live"
        elif results == ["saved", "saved"]:
            outcome = "both saved"
        elif results == ["refused", "refused"]:
            outcome = "both refused"
        else:
            outcome = "error: " + ", ".join(results)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def open_working_copy(browser: "Browser", live_page: Answer) -> str:
    """Press "Edit as a working copy" on a live article's change page: the path of its
    working copy's change form (or what went wrong, not starting with "/")."""
    started = browser.post(
        re.search(r'id="start-working-copy" method="post" action="([^"]+)"', live_page.body)[1],
        live_page.form("start-working-copy"),
    )
    if started.status != 302:
        return f"working copy not started: HTTP {started.status}"
    return urlsplit(started.headers["Location"]).path


def _saved_or_refused(answer: Answer, text: str) -> str:
    if answer.status == 302:
        return "saved"
    kept = text in answer.body.replace("&#x27;", "'")
    if answer.status == 200 and "after you opened it" in answer.body and kept:
        return "refused"
    return f"HTTP {answer.status}"
