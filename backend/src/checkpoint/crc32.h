// SPDX-License-Identifier: GPL-3.0-or-later
// The CRC-32 moved to data/crc32.h (token shards use it too, and data/ may
// not include checkpoint/); this name stays for code written against it.
#pragma once

#include "data/crc32.h"
