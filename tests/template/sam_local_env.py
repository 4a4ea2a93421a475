"""Run with the SAM CLI's Python (.venv-sam): print, per function of TEMPLATE, the environment
`sam local start-api --env-vars ENV_FILE` would give its container, as a JSON object.

    python tests/template/sam_local_env.py TEMPLATE ENV_FILE

Uses the SAM CLI's own code (the stack and function providers, `LocalLambdaRunner`'s
`_make_env_vars` and `EnvironmentVariables.resolve`), so Globals merging, the env file's formats
and the rule that only declared variables are set are the CLI's, not a re-implementation. No
container is started.
"""

import json
import sys

from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider


def main(template: str, env_file: str) -> None:
    with open(env_file, encoding="utf-8") as file:
        values = json.load(file)
    stacks, _ = SamLocalStackProvider.get_stacks(template)
    provider = SamFunctionProvider(stacks)
    runner = LocalLambdaRunner(
        local_runtime=None,
        function_provider=provider,
        cwd=".",
        real_path=".",
        env_vars_values=values,
    )
    resolved = {f.name: runner._make_env_vars(f).resolve() for f in provider.get_all()}
    json.dump(resolved, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
