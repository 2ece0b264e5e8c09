#ifndef KB_CBUILDINFO_H
#define KB_CBUILDINFO_H

/// The git commit this binary was built from, as Package.swift passed it in (KB_BUILD_COMMIT at build time;
/// Scripts/package sets it), or "unknown" for a plain `swift build`.
const char *kb_build_commit(void);

#endif
