// The diagnoser speaks in the run folder's types (Evidence, Finding, Diagnosis), which live in the
// contract module so that readers of a folder need not link the collectors (libpq, libcurl).
// Re-exported so that code importing the diagnoser sees them as before.
@_exported import StrainContract
