// docker/setup-qemu-action, run as the Actions runner runs it, for
// tests/e2e/release.bats.
//
// The action's shipped dist/index.js is not published on the npm registry
// (`npm view @docker/setup-qemu-action`: 404), and nothing but Debian's
// archive and npm is reachable here. Its dist/index.js is an esbuild bundle
// of src/main.ts + src/context.ts and their npm dependencies, which ARE on
// npm: @docker/actions-toolkit and @actions/core (pinned in package-lock.json
// at the versions the action's package.json names). This file is the
// action's main.ts step for step, on those real packages: the same inputs
// (read by @actions/core from INPUT_* as the runner passes them), the same
// toolkit calls (Docker.printVersion/printInfo, Docker.pull with the image
// cache, `docker image inspect`, `docker run --rm --privileged IMAGE
// --install PLATFORMS`, `docker run --rm --privileged IMAGE` parsed with
// JSON.parse), the same error handling (the last stderr line of a failed
// call) and the same output (`platforms` through GITHUB_OUTPUT), and the post
// step (STATE_isPost, from GITHUB_STATE, as the runner sets it).
//
// Not reproduced: cache-image-path (the local-file cache of newer versions;
// the runner's default, '', disables it, and so does this file).
import * as core from '@actions/core';
import * as actionsToolkit from '@docker/actions-toolkit';
import {Docker} from '@docker/actions-toolkit/lib/docker/docker.js';
import {Util} from '@docker/actions-toolkit/lib/util.js';

function inputs() {
  return {
    image: core.getInput('image') || 'docker.io/tonistiigi/binfmt:latest',
    platforms: Util.getInputList('platforms').join(',') || 'all',
    cacheImage: core.getBooleanInput('cache-image')
  };
}

// The action's check after each docker call: a failure with stderr throws
// its last line.
function failOnStderr(res) {
  if (res.stderr.length > 0 && res.exitCode != 0) {
    throw new Error(res.stderr.match(/(.*)\s*$/)?.[0]?.trim() ?? 'unknown error');
  }
  return res;
}

actionsToolkit.run(
  async () => {
    const input = inputs();
    await core.group('Docker info', async () => {
      await Docker.printVersion();
      await Docker.printInfo();
    });
    await core.group('Pulling binfmt Docker image', async () => {
      await Docker.pull(input.image, input.cacheImage);
    });
    await core.group('Image info', async () => {
      failOnStderr(await Docker.getExecOutput(['image', 'inspect', input.image], {ignoreReturnCode: true}));
    });
    await core.group('Installing QEMU static binaries', async () => {
      failOnStderr(
        await Docker.getExecOutput(['run', '--rm', '--privileged', input.image, '--install', input.platforms], {
          ignoreReturnCode: true
        })
      );
    });
    await core.group('Extracting available platforms', async () => {
      const res = failOnStderr(
        await Docker.getExecOutput(['run', '--rm', '--privileged', input.image], {ignoreReturnCode: true, silent: true})
      );
      const platforms = JSON.parse(res.stdout.trim());
      core.info(`${platforms.supported.join(',')}`);
      core.setOutput('platforms', platforms.supported.join(','));
    });
  },
  async () => {}
);
