// The coturn interop suite again, on the node:dgram fallback (PARLEY_TURN_NATIVE=0): both UDP data paths
// must relay every packet of turnutils_uclient. Each test file runs in a process of its own.
process.env.PARLEY_TURN_NATIVE = '0';
await import('./coturn-interop.test.js');
