"""The portal's users as a Locust load model (issue 19, item 5), run by bench/capacity.py.

Who, and how often (weights per 100 concurrent users, think times as people take them):

- 80 citizens watching their applications: the list, then one application's tracking page
  left open, which refreshes its progress every 30 s (htmx, `TRACKING_REFRESH_SECONDS`); now
  and then they open the page again or read their messages.
- 8 citizens applying: a house extension (extend-a-house) from the start, who it is for, six
  questions at 5–20 s each, the check page, sent; then they watch the new application.
- 10 caseworkers working their unit's queue: the queue, a filter, "take the next case", the
  case page read for 20–60 s, the decision recorded (approve); a case whose fee is unpaid
  answers 409, which is the portal working, not an error.
- 2 coordinators: the dashboard, a tab, a journey's page, 10–40 s apart.

Signed-in sessions and the citizens' applications come from CAPACITY_USERS (a JSON file that
bench/capacity.py writes: sessions made directly, the sign-in form is not what is measured).
The load steps up through CAPACITY_STEPS concurrent users, CAPACITY_STEP_SECONDS each; every
request is recorded with its step in CAPACITY_RECORD (CSV), and the run stops by itself after
the last step or once a step has broken down (p95 over CAPACITY_BREAK_MS or errors over 1 %).
"""

import csv
import itertools
import json
import os
import random
import re
import time

from locust import HttpUser, LoadTestShape, between, constant, events, task

USERS = json.loads(open(os.environ["CAPACITY_USERS"]).read())  # noqa: SIM115
STEPS = [int(n) for n in os.environ.get("CAPACITY_STEPS", "20,40").split(",")]
STEP_SECONDS = int(os.environ.get("CAPACITY_STEP_SECONDS", "90"))
BREAK_MS = float(os.environ.get("CAPACITY_BREAK_MS", "2000"))
REFRESH_SECONDS = 30
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
JOURNEY_LINK = re.compile(r'href="(/coordination/journeys/[0-9a-f-]+/)"')

# Each user takes the next account of its kind (round robin over what the seed holds).
_next = {
    kind: itertools.cycle(range(len(USERS[kind])))
    for kind in ("citizens", "caseworkers", "coordinators")
}


def account(kind: str) -> dict:
    return USERS[kind][next(_next[kind])]


class Recorder:
    """Every request with the load step it was made in, for bench/capacity.py to analyse."""

    def __init__(self, path: str):
        self.file = open(path, "w", newline="")  # noqa: SIM115 (closed when the run quits)
        self.writer = csv.writer(self.file)
        self.writer.writerow(["time", "step", "users", "name", "ms", "status", "error"])
        self.step = 0
        self.by_step: dict[int, list] = {}
        self.verdicts: dict[int, bool] = {}

    def record(self, name, response_time, response, exception):
        status = getattr(response, "status_code", 0)
        error = "" if exception is None else type(exception).__name__
        users = STEPS[self.step] if self.step < len(STEPS) else 0
        self.writer.writerow(
            [f"{time.time():.3f}", self.step, users, name, f"{response_time:.1f}", status, error]
        )
        self.by_step.setdefault(self.step, []).append((response_time, bool(error)))

    def broke(self, step: int) -> bool:
        """Whether a finished step broke down (asked once a second, worked out once)."""
        if step not in self.verdicts:
            rows = self.by_step.get(step, [])
            times = sorted(ms for ms, _ in rows)
            errors = sum(1 for _, failed in rows if failed)
            self.verdicts[step] = len(rows) >= 20 and (
                times[int(len(times) * 0.95)] > BREAK_MS or errors > len(rows) / 100
            )
        return self.verdicts[step]


recorder = Recorder(os.environ.get("CAPACITY_RECORD", "capacity-requests.csv"))


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response, exception, **kw):
    recorder.record(name, response_time, response, exception)


@events.quitting.add_listener
def _close(environment, **kw):
    recorder.file.close()


class Steps(LoadTestShape):
    """CAPACITY_STEPS concurrent users, one step after another; stops after a broken step."""

    def tick(self):
        step = int(self.get_run_time() // STEP_SECONDS)
        if step > 0 and recorder.broke(step - 1):
            return None
        if step >= len(STEPS):
            return None
        recorder.step = step
        previous = STEPS[step - 1] if step else 0
        # Arrivals spread over the first sixth of the step, as people do not come at once.
        return STEPS[step], max((STEPS[step] - previous) / (STEP_SECONDS / 6), 1)


class Portal(HttpUser):
    abstract = True
    kind = ""

    def on_start(self):
        self.me = account(self.kind)
        self.client.cookies.set("sessionid", self.me["session"])
        self.client.headers["Accept-Language"] = "sv" if random.random() < 0.7 else "en"

    def page(self, path: str, name: str, **kwargs):
        return self.client.get(path, name=name, **kwargs)

    def post(self, path: str, data: dict, name: str, referer_html: str, **kwargs):
        """A form sent as the browser sends it: with the page's CSRF token and cookie."""
        token = CSRF.search(referer_html)
        data = {"csrfmiddlewaretoken": token.group(1) if token else "", **data}
        headers = {"Referer": self.host + "/"}
        return self.client.post(path, data=data, name=name, headers=headers, **kwargs)


class WatchingCitizen(Portal):
    """A citizen with an application's tracking page open."""

    weight = 80
    kind = "citizens"
    wait_time = constant(REFRESH_SECONDS)

    def on_start(self):
        super().on_start()
        self.page("/applications/", "citizen: applications")
        self.track = random.choice(self.me["journeys"])
        self.etag = None
        self.page(self.track, "citizen: tracking page")

    @task(20)
    def refresh(self):
        """htmx's refresh of the progress region, sending the page's validator if it has one."""
        headers = {"HX-Request": "true", "HX-Target": "progress", "HX-Current-URL": self.track}
        if self.etag:
            headers["If-None-Match"] = self.etag
        with self.client.get(
            self.track,
            name="citizen: tracking refresh (htmx)",
            headers=headers,
            catch_response=True,
        ) as response:
            if response.status_code in (200, 304):
                self.etag = response.headers.get("ETag", self.etag)
                response.success()

    @task(1)
    def reopen(self):
        self.page(self.track, "citizen: tracking page")

    @task(1)
    def messages(self):
        self.page("/messages/", "citizen: messages")


class ApplyingCitizen(Portal):
    """A citizen applying for a house extension, question by question, then watching it."""

    weight = 8
    kind = "citizens"
    wait_time = between(5, 20)
    ANSWERS = {
        "owner_name": "Kim Andersson",
        "personal_number": "19811218-9876",
        "contact_email": "kim@example.org",
        "property_designation": "Stadsdelen 1:23",
        "extension_area": "25",
        "new_drainage": "no",
    }

    def on_start(self):
        super().on_start()
        self.track = None

    @task
    def next_thing(self):
        if self.track:
            self.client.get(
                self.track,
                name="citizen: tracking refresh (htmx)",
                headers={"HX-Request": "true", "HX-Target": "progress"},
            )
            return
        self.apply()

    def apply(self):
        start = self.page("/services/extend-a-house/", "citizen: service start")
        response = self.post(
            "/services/extend-a-house/apply/", {}, "citizen: start application", start.text
        )
        draft = re.search(r"/applications/([0-9a-f-]+)/", response.url or "")
        if not draft:
            return  # recorded as the start's failure (its status) already
        base = f"/applications/{draft.group(1)}/"
        applicant = self.page(base + "applicant/", "citizen: who is it for")
        self.post(
            base + "applicant/",
            {"applying_as": "person"},
            "citizen: who is it for (sent)",
            applicant.text,
        )
        for key, value in self.ANSWERS.items():
            time.sleep(random.uniform(5, 20))
            question = self.page(f"{base}questions/{key}/", "citizen: question")
            self.post(f"{base}questions/{key}/", {key: value}, "citizen: answer", question.text)
        check = self.page(base + "check/", "citizen: check answers")
        sent = self.post(base + "check/", {}, "citizen: send application", check.text)
        if "/confirmation/" in (sent.url or ""):
            self.track = base


class Caseworker(Portal):
    """A caseworker of one of the units that work on the portal, through the queue."""

    weight = 10
    kind = "caseworkers"
    wait_time = between(10, 30)

    @task
    def work_a_case(self):
        unit = self.me["unit"]
        queue = self.page(f"/work/?unit={unit}", "caseworker: queue")
        self.page(
            f"/work/?unit={unit}&filter=overdue",
            "caseworker: queue filter (htmx)",
            headers={"HX-Request": "true", "HX-Target": "queue-results"},
        )
        time.sleep(random.uniform(5, 15))
        case = self.post(
            "/work/take-next/", {"unit": unit}, "caseworker: take next case", queue.text
        )
        version = VERSION.search(case.text or "")
        if "/work/steps/" not in (case.url or "") or not version:
            return  # the queue had no unclaimed case: the page says so
        time.sleep(random.uniform(20, 60))  # reading the case
        decision = {
            "version": version.group(1),
            "outcome": "approve",
            "reasons": "The application meets the requirements.",
        }
        path = re.search(r"(/work/steps/\d+/)", case.url).group(1)
        with self.client.post(
            path + "decide/",
            data={"csrfmiddlewaretoken": CSRF.search(case.text).group(1), **decision},
            headers={"Referer": self.host + path},
            name="caseworker: decide",
            catch_response=True,
        ) as response:
            if response.status_code == 409:  # the fee is not paid yet: the page says so
                response.success()


class Coordinator(Portal):
    weight = 2
    kind = "coordinators"
    wait_time = between(10, 40)

    @task(3)
    def dashboard(self):
        board = self.page("/coordination/", "coordinator: dashboard")
        links = JOURNEY_LINK.findall(board.text or "")
        if links:
            time.sleep(random.uniform(5, 20))
            self.page(random.choice(links), "coordinator: journey page")

    @task(1)
    def stalled(self):
        self.page(
            "/coordination/?view=stalled",
            "coordinator: dashboard tab (htmx)",
            headers={"HX-Request": "true", "HX-Target": "results"},
        )
