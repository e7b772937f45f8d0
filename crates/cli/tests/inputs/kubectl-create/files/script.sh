#!/bin/sh
# comment: here
echo "a: b" - x
