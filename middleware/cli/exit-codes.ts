/**
 * The command's exit codes, as the conventions have them (STYLE.md rule 13):
 * 0 done (or, for verify, nothing found), 1 a problem found or met (damage,
 * a key that is absent, a store that cannot be opened, a lease not had), 2
 * bad usage (a missing or unknown argument or flag, a DIR that is not a
 * spillway directory).
 */
export const OK = 0
export const PROBLEM = 1
export const USAGE_ERROR = 2
