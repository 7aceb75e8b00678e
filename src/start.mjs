// The entry point of `npm start` (and of the Docker image): plain JavaScript,
// so that it runs on any Node and can say which one the service needs before
// anything else loads. On the pinned major or newer it loads src/main.ts,
// which Node runs natively (type stripping): no wrapper process, so a signal
// sent to this process reaches the service itself.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const pinned = Number.parseInt(String(pkg.devDependencies?.node ?? '24'), 10);
const running = Number.parseInt(process.versions.node, 10);
if (running < pinned) {
  console.error(
    `This service needs Node ${pinned} or newer; this is Node ${process.versions.node} (${process.execPath}).\n` +
      `Run it with npm start (npm ci installs Node ${pinned} into node_modules, and npm runs the scripts on it), ` +
      `or install Node ${pinned} and run node src/start.mjs.`,
  );
  process.exit(2);
}
await import('./main.ts');
