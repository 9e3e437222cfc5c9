// The tiny assertion helper shared by the interop checks: print each check, stop at the
// first failure with exit code 1, and count what passed.
let passed = 0;

/** Records one check; exits the process with code 1 when `condition` is false. */
export function check(condition, what) {
  if (!condition) {
    console.error(`FAILED: ${what}`);
    process.exit(1);
  }
  passed += 1;
  console.log(`ok  ${what}`);
}

/** How many checks have passed so far. */
export function passedCount() {
  return passed;
}
