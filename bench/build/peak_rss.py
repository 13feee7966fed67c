#!/usr/bin/env python3
"""Runs a command and prints its peak resident set size in KiB (getrusage of
the children, which covers every process it waited for), then exits with the
command's status.  peak_rss.py CMD [ARG...]"""
import resource
import subprocess
import sys

status = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(status)
