// The import-boundary rule (scripts/lint/layers.js) on the imports that define the layering, and ESLint itself
// reporting it on a real file.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module without types
import { violation } from '../../scripts/lint/layers.js';

const root = join(import.meta.dirname, '../..');
const at = (file: string) => join(root, file);

describe('layers/boundaries', () => {
  it('keeps src/core pure', () => {
    expect(violation(at('src/core/rules/overspeed.ts'), '../../store/db', false)).toMatch(
      /src\/core imports nothing outside itself/,
    );
    expect(violation(at('src/core/rules/overspeed.ts'), '../../store/db', true)).toMatch(/src\/core/);
    expect(violation(at('src/core/engine.ts'), 'node:fs', false)).toMatch(/pure/);
    expect(violation(at('src/core/engine.ts'), 'postgres', false)).toMatch(/pure/);
    expect(violation(at('src/core/rules/overspeed.ts'), '../geo/zone-index', false)).toBeNull();
    expect(violation(at('src/core/geo/zone-index.ts'), 'flatbush', false)).toBeNull();
  });

  it('lets src/ingest see src/core types only', () => {
    expect(violation(at('src/ingest/jt808/header.ts'), '../../core/fix', true)).toBeNull();
    expect(violation(at('src/ingest/jt808/header.ts'), '../../core/fix', false)).toMatch(/types only/);
    expect(violation(at('src/ingest/jt808/header.ts'), '../../store/db', true)).toMatch(/only src\/core types/);
    expect(violation(at('src/ingest/jt808/header.ts'), 'node:net', false)).toMatch(/pure/);
  });

  it('keeps scripts/ and test/ out of src/, and the runtime at the edge', () => {
    expect(violation(at('src/runtime/node/main.ts'), '../../../scripts/demo/seed', false)).toMatch(/scripts/);
    expect(violation(at('src/http/app.ts'), '../../test/helpers/db', false)).toMatch(/test/);
    expect(violation(at('src/http/app.ts'), '../runtime/node/config', false)).toMatch(/runtime/);
    expect(violation(at('src/runtime/node/main.ts'), '../../http/app', false)).toBeNull();
    expect(violation(at('src/pages/parent/main.ts'), '../../http/app', false)).toMatch(/types only/);
    expect(violation(at('src/pages/parent/main.ts'), '../../http/app', true)).toBeNull();
    expect(violation(at('src/pages/manager/main.ts'), '../../core/time-zone', false)).toBeNull();
  });

  it('does not apply outside src/', () => {
    expect(violation(at('scripts/replay.ts'), '../src/store/db', false)).toBeNull();
    expect(violation(at('test/core/helpers.ts'), '../../src/store/db', false)).toBeNull();
  });

  it('is what ESLint reports for an import of src/store inside src/core', async () => {
    const eslint = new ESLint({ cwd: root });
    const [result] = await eslint.lintText(
      "import { createDatabase } from '../store/db';\nexport const x = createDatabase;\n",
      {
        filePath: at('src/core/example.ts'),
      },
    );
    const messages = result!.messages.filter((m) => m.ruleId === 'layers/boundaries');
    expect(messages).toHaveLength(1);
    expect(messages[0]!.message).toBe('src/core imports nothing outside itself (found src/store)');
  });
});
