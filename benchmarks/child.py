"""The measured process: runs inside the Lambda-like runtime venv with only the function's code on
sys.path, so it may import nothing but the standard library until it imports the handler.

    python -P child.py cold <module.function> <event.json> <expect> <result.json>
    python -P child.py warm <module.function> <event.json> <expect> <result.json> <calls> <batch>

`expect` is how success looks for the trigger: `batch` (no failed records), `api` (status 200) or
`event` (returns without raising). The result file gets JSON: timings, or {"error": ...}; the exit
status is 0 only when every invocation succeeded.
"""

# Only what the Lambda runtime's own bootstrap imports anyway, so the `bare` floor stays a floor.
import importlib
import json
import os
import sys
import time


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


class HandlerFailed(Exception):
    pass


def check(expect: str, response: object) -> None:
    if expect == "batch" and response != {"batchItemFailures": []}:
        raise HandlerFailed(f"a batch response with failed records: {response!r:.2000}")
    if expect == "api" and not (isinstance(response, dict) and response.get("statusCode") == 200):
        raise HandlerFailed(f"an API response other than 200: {response!r:.2000}")


class Job:
    """One handler, its event and how its success looks."""

    def __init__(self, entry: str, event_text: str, expect: str) -> None:
        self.entry = entry
        self.event_text = event_text
        self.expect = expect

    def load(self) -> Handler:
        module_name, _, function_name = self.entry.rpartition(".")
        handler: Handler = getattr(importlib.import_module(module_name), function_name)
        return handler

    def arguments(self) -> tuple[object, FakeContext]:
        # Lambda hands each invocation a freshly decoded event and a context of its own.
        return json.loads(self.event_text), FakeContext()

    def cold(self) -> dict[str, object]:
        # Interpreter start and exit are the rest of the wall time the parent measures.
        before_import = time.perf_counter()
        handler = self.load()
        imported = time.perf_counter()
        check(self.expect, handler(*self.arguments()))
        served = time.perf_counter()
        return {
            "import_s": imported - before_import,
            "first_invoke_s": served - imported,
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
        for _ in range(5):
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
        result = job.cold() if mode == "cold" else job.warm(int(sys.argv[6]), int(sys.argv[7]))
    except Exception as error:  # any failure is reported, never timed
        import traceback  # noqa: PLC0415 - only a failed run needs it

        result = {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}
        status = 1
    with open(result_path, "w") as result_file:  # noqa: PTH123 - as above
        json.dump(result, result_file)
    return status


if __name__ == "__main__":
    sys.exit(main())
