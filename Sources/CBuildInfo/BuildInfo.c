#include "CBuildInfo.h"

// Package.swift defines KB_BUILD_COMMIT from the environment of the build; a build without it says "unknown".
#ifndef KB_BUILD_COMMIT
#define KB_BUILD_COMMIT "unknown"
#endif

const char *kb_build_commit(void) { return KB_BUILD_COMMIT; }
