// Public API: a list of re-exports only.
export {};
