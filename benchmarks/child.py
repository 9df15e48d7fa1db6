"""The measured process: runs inside the Lambda-like runtime venv with only the function's code on
sys.path, so it may import nothing but the standard library until it imports the handler.

    python -P child.py cold    <module.function> <event.json> <expect> <result.json>
    python -P child.py restore <module.function> <event.json> <expect> <result.json>
    python -P child.py warm    <module.function> <event.json> <expect> <result.json> <calls> <batch>

`expect` is how success looks for the trigger: `batch` (no failed records), `api` (status 200) or
`event` (returns without raising). The result file gets JSON: timings, or {"error": ...}; the exit
status is 0 only when every invocation succeeded.

Timestamps named `*_at` are `time.monotonic()` seconds: CLOCK_MONOTONIC is one clock for every
process on Linux, so the parent subtracts its own spawn timestamp from them.
"""

# Only what the Lambda runtime's own bootstrap imports anyway, so the `bare` floor stays a floor.
import time

STARTED_AT = time.monotonic()  # before anything else this file imports

import gc  # noqa: E402 - after the start timestamp on purpose; built in, nothing to load
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

# Written to stderr just before the handler's import, so that a `-X importtime` run can leave out
# the interpreter's and this file's own imports (see importcost.py).
IMPORT_MARK = "bench: handler import starts"
WARM_UP_CALLS = 5


class FakeContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self) -> None:
        # The same facts Lambda puts in the process environment (see environment.py).
        function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        region = os.environ["AWS_REGION"]
        self.function_name = function_name
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:{function_name}"
        self.aws_request_id = "%s-%s-%s-%s-%s" % tuple(  # noqa: UP031 - a UUID4's layout
            os.urandom(n).hex() for n in (4, 2, 2, 2, 6)
        )
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class Handler:
    """The shape of a Lambda entry point, for the type checker (no typing import at run time)."""

    def __call__(self, event: object, context: FakeContext, /) -> object: ...


class GcClock:
    """Time spent in garbage collection while registered in gc.callbacks: a collection runs when
    allocations pass the collector's thresholds, inside whatever code allocated last."""

    def __init__(self) -> None:
        self.started = 0.0
        self.seconds = 0.0
        self.collections = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.monotonic()
        else:
            self.seconds += time.monotonic() - self.started
            self.collections += 1


class Hook:
    """A callable the function registered with snapshot_restore_py, for the type checker."""

    def __call__(self, *args: object, **kwargs: object) -> object: ...


class HandlerFailed(Exception):
    pass


def check(expect: str, response: object) -> None:
    if expect == "batch" and response != {"batchItemFailures": []}:
        raise HandlerFailed(f"a batch response with failed records: {response!r:.2000}")
    if expect == "api" and not (isinstance(response, dict) and response.get("statusCode") == 200):
        raise HandlerFailed(f"an API response other than 200: {response!r:.2000}")


def run_hooks(registry: list[tuple[Hook, tuple[object, ...], dict[str, object]]]) -> int:
    """Calls each registered (func, args, kwargs) in registration order, as the runtime does;
    returns how many ran."""
    for func, args, kwargs in registry:
        func(*args, **kwargs)
    return len(registry)


class Job:
    """One handler, its event and how its success looks."""

    def __init__(self, entry: str, event_text: str, expect: str) -> None:
        self.entry = entry
        self.event_text = event_text
        self.expect = expect

    def load(self) -> Handler:
        module_name, _, function_name = self.entry.rpartition(".")
        print(IMPORT_MARK, file=sys.stderr, flush=True)
        # __import__ goes through the C import machinery, which `-X importtime` reports, where
        # importlib.import_module would leave the handler's own module out of the report.
        __import__(module_name)
        handler: Handler = getattr(sys.modules[module_name], function_name)
        return handler

    def arguments(self) -> tuple[object, FakeContext]:
        # Lambda hands each invocation a freshly decoded event and a context of its own.
        return json.loads(self.event_text), FakeContext()

    def cold(self) -> dict[str, object]:
        """The init phase and the first invocation; the parent adds the time before STARTED_AT."""
        clock = GcClock()
        gc.callbacks.append(clock)
        before_import = time.monotonic()
        handler = self.load()
        imported = time.monotonic()
        response = handler(*self.arguments())
        responded_at = time.monotonic()  # the first response exists: the cold start is over
        gc.callbacks.remove(clock)
        check(self.expect, response)
        return {
            "started_at": STARTED_AT,
            "responded_at": responded_at,
            "import_s": imported - before_import,
            "first_invoke_s": responded_at - imported,
            "gc_s": clock.seconds,
            "gc_collections": clock.collections,
        }

    def restore(self) -> dict[str, object]:
        """SnapStart's part after the snapshot: init and the before-snapshot hooks run untimed
        (they happen before the snapshot is taken), then the after-restore hooks and the first
        invocation are timed. Restoring the memory snapshot itself cannot be emulated here."""
        handler = self.load()
        # The runtime's own registry (runtime-provided, like boto3), which the handler filled.
        registry = importlib.import_module("snapshot_restore_py")
        before = run_hooks(registry.get_before_snapshot())
        restored_at = time.monotonic()
        after = run_hooks(registry.get_after_restore())
        hooks_done = time.monotonic()
        response = handler(*self.arguments())
        responded_at = time.monotonic()
        check(self.expect, response)
        return {
            "before_snapshot_hooks": before,
            "after_restore_hooks": after,
            "after_snapshot_s": responded_at - restored_at,
            "after_restore_hooks_s": hooks_done - restored_at,
            "first_invoke_s": responded_at - hooks_done,
        }

    def warm(self, calls: int, batch: int) -> dict[str, object]:
        # The single-record path: a batch event keeps its first record, so a trigger that delivers
        # several records per event is compared per record, like the others.
        event = json.loads(self.event_text)
        if isinstance(event, dict) and isinstance(event.get("Records"), list):
            event["Records"] = event["Records"][:1]
            self.event_text = json.dumps(event)
        handler = self.load()
        # Warm-up: the first calls build clients, read config and fill caches.
        for _ in range(WARM_UP_CALLS):
            check(self.expect, handler(*self.arguments()))
        batch_means_us: list[float] = []
        batch_cpu_us: list[float] = []
        done = 0
        while done < calls:
            size = min(batch, calls - done)
            prepared = [self.arguments() for _ in range(size)]  # untimed, see arguments()
            responses: list[object] = []
            start, start_cpu = time.perf_counter(), time.process_time()
            for event, context in prepared:
                responses.append(handler(event, context))
            elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
            for response in responses:
                check(self.expect, response)
            batch_means_us.append(elapsed / size * 1e6)
            # The process's own CPU: the overhead, without the wait for the stub's answers.
            batch_cpu_us.append(elapsed_cpu / size * 1e6)
            done += size
        return {
            "calls": calls,
            "batch": batch,
            "invocations": calls + WARM_UP_CALLS,
            "batch_means_us": batch_means_us,
            "batch_cpu_us": batch_cpu_us,
        }


def main() -> int:
    mode, entry, event_path, expect, result_path = sys.argv[1:6]
    with open(event_path) as event_file:  # noqa: PTH123 - pathlib costs a cold start import
        job = Job(entry, event_file.read(), expect)
    result: dict[str, object]
    status = 0
    try:
        if mode == "cold":
            result = job.cold()
        elif mode == "restore":
            result = job.restore()
        else:
            result = job.warm(int(sys.argv[6]), int(sys.argv[7]))
    except Exception as error:  # any failure is reported, never timed
        import traceback  # noqa: PLC0415 - only a failed run needs it

        result = {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}
        status = 1
    with open(result_path, "w") as result_file:  # noqa: PTH123 - as above
        json.dump(result, result_file)
    return status


if __name__ == "__main__":
    sys.exit(main())
