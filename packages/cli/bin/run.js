#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// The only WebAssembly here is undici's HTTP parser (fetch). Its optimizing compile runs on a V8 thread that a short
// command then waits for at exit: ~0.15 s of each `ufs upload`. Baseline (Liftoff) code parses as fast for bodies
// with a length, and ~20% slower for chunked ones (still ~500 MiB/s on loopback). Set before anything compiles.
setFlagsFromString('--liftoff-only');

const { main, exitWhenWritten } = await import('../dist/main.js');
// Exits once the command is over and its output written, even if a library left a timer or socket behind.
await exitWhenWritten(await main(process.argv.slice(2)));
