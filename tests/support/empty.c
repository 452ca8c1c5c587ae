/* Keeps the test support library non-empty. */
typedef int uvmsim_testsupport_empty;
