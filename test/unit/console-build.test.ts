import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleBuildState, type BuildPaths } from '#local/console-build.js';

let dir: string;
let paths: BuildPaths;
const at = (file: string, secondsAgo: number) => {
  const t = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(file, t, t);
};
const write = (file: string, secondsAgo: number) => {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, 'x');
  at(file, secondsAgo);
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridflow-console-build-'));
  paths = {
    dist: join(dir, 'dist'),
    inputs: [join(dir, 'src'), join(dir, 'index.html'), join(dir, 'openapi.json'), join(dir, 'absent')],
    generated: [join(dir, 'src', 'api', 'schema.d.ts')],
  };
  write(join(dir, 'src', 'pages', 'queue.tsx'), 100);
  write(join(dir, 'index.html'), 100);
  write(join(dir, 'openapi.json'), 100);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('consoleBuildState: npm start builds the console when its output is missing or older than a source', () => {
  it('missing without dist/index.html', () => {
    expect(consoleBuildState(paths)).toEqual({ state: 'missing' });
  });

  it('fresh when the output is newer than every input', () => {
    write(join(dir, 'dist', 'index.html'), 10);
    expect(consoleBuildState(paths)).toEqual({ state: 'fresh' });
  });

  it('stale when a source deep in a folder changed after the build, naming it', () => {
    write(join(dir, 'dist', 'index.html'), 10);
    write(join(dir, 'src', 'pages', 'queue.tsx'), 1);
    expect(consoleBuildState(paths)).toMatchObject({ state: 'stale', newer: expect.stringContaining('queue.tsx') });
  });

  it('stale when the API description the client is generated from changed', () => {
    write(join(dir, 'dist', 'index.html'), 10);
    at(join(dir, 'openapi.json'), 1);
    expect(consoleBuildState(paths)).toMatchObject({ state: 'stale', newer: expect.stringContaining('openapi.json') });
  });

  it('a file the build generates itself does not make it stale', () => {
    write(join(dir, 'dist', 'index.html'), 10);
    write(join(dir, 'src', 'api', 'schema.d.ts'), 1);
    expect(consoleBuildState(paths)).toEqual({ state: 'fresh' });
  });
});
