#!/usr/bin/env python3
"""Unity.NoNameTwiceInOneLibrary: no two source files of one library
(generator/<folder>/*.cpp, tests aside) define the same name at the top of an
anonymous namespace or as a file-level `static`.

With -DXRAYBAKE_UNITY=ON (the quick start's build, ./dev.sh test's ASan pass)
each library is compiled as one translation unit that includes all its files,
so two such names either do not compile or, worse, become overloads of each
other and a call silently picks the other file's function. Rename one of them
(or make it one shared function in a header).

    tests/unity_names_test.py SOURCE_DIR
"""
import collections
import glob
import os
import re
import sys

# Declarations at column 0 inside `namespace {` ... `}  // namespace`.
PATTERNS = [
    re.compile(r'^(?:template\s*<.*>\s*)?(?:struct|class|enum(?: class)?|union)\s+(\w+)'),
    re.compile(r'^using\s+(\w+)\s*='),
    re.compile(r'^(?:constexpr|const|inline|thread_local)[^=(]*?\b(\w+)\s*(?:\[.*\])?\s*(?:=|\{|;)'),
    re.compile(r'^[\w:<>,\s\*&]+?[\s\*&]+(\w+)\s*\('),  # a function
    re.compile(r'^(?:std::|[A-Z])[\w:<>, \*&]*\s+(\w+)\s*(?:=|\{|;)'),  # a variable
]


def names_of(path):
    names = set()
    in_anonymous = False
    for line in open(path, encoding='utf-8'):
        if re.match(r'^namespace\s*\{', line):
            in_anonymous = True
            continue
        if in_anonymous and re.match(r'^\}\s*//\s*namespace\s*$', line):
            in_anonymous = False
            continue
        if line.startswith('static '):
            line = line[len('static '):]
        elif not in_anonymous:
            continue
        if not line.strip() or line[0] in ' \t}#/':
            continue
        for p in PATTERNS:
            m = p.match(line)
            if m:
                names.add(m.group(1))
                break
    return names


def main():
    root = sys.argv[1]
    found = []
    for lib in sorted(glob.glob(os.path.join(root, 'generator', '*', ''))):
        where = collections.defaultdict(list)
        for f in sorted(glob.glob(os.path.join(lib, '*.cpp'))):
            if f.endswith('_test.cpp') or os.path.basename(f) == 'main.cpp':
                continue
            for n in names_of(f):
                where[n].append(os.path.relpath(f, root))
        for n, files in sorted(where.items()):
            # The same alias twice is harmless (`using json = nlohmann::json;`).
            if len(files) > 1 and not all(re.search(r'^using\s+' + n + r'\s*=', open(os.path.join(root, f)).read(), re.M)
                                          for f in files):
                found.append(f'{n}: {", ".join(files)}')
    for f in found:
        print('defined in more than one file of one library (a unity build merges them):', f)
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
