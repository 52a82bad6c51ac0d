// A tiny test harness for the widget's pure parts, run in a real browser by the Go test
// TestWidgetUnit (widget_unit_test.go): esbuild bundles every *.test.ts with this file, the
// bundle is evaluated in the shared Chromium, and each test's outcome is reported by name.
// No Node.js and no test framework: the widget's code runs where it will run.

type Fn = () => void | Promise<void>;

const cases: { name: string; fn: Fn }[] = [];

/** test registers a test; its name is what the Go test reports. */
export function test(name: string, fn: Fn): void {
  cases.push({ name, fn });
}

const show = (v: unknown): string => JSON.stringify(v, (_k, x) => (x === undefined ? "<undefined>" : x));

/** eq fails the test unless got and want are the same (deeply, as JSON). */
export function eq(got: unknown, want: unknown, what = ""): void {
  if (show(got) !== show(want)) throw new Error(`${what ? what + ": " : ""}got ${show(got)}, want ${show(want)}`);
}

/** ok fails the test unless cond holds. */
export function ok(cond: unknown, what: string): void {
  if (!cond) throw new Error(what);
}

/** run runs every test in order and says how each went ("" when it passed). */
export async function run(): Promise<{ name: string; error: string }[]> {
  const out: { name: string; error: string }[] = [];
  for (const c of cases) {
    let error = "";
    try {
      await c.fn();
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    out.push({ name: c.name, error });
  }
  return out;
}
