// SPDX-License-Identifier: GPL-3.0-or-later
// Shard-local stage boundaries (docs/backend.md "Shard-local growth"): at a
// stage's start (unless both stages are data-parallel) each rank builds its
// part of the next stage's model, grown by MSG or only re-cut for a new
// layout, from the parts the ranks held before, without the full model on
// any rank that does not train it.
//
// A rank draws the new entries of its slices only (growth_init.h: any block
// of a tensor is drawn alone) and takes the old values its slices hold (each
// tensor's leading block, MSG) from its own copy where it has them all (a
// data-parallel replica, a replicated parameter), else point to point from
// the ranks that count them (counts_parameter, counts_moments), one
// parameter at a time. The result is bitwise what cutting the grown full
// model gives (partition_model(grow_gpt(assembled model))).
#pragma once

#include <cstdint>
#include <string>

#include "comm/communicator.h"
#include "model/gpt_model.h"
#include "parallel/model_partition.h"

namespace sprout::backend {

// This rank's part of the model of `to` under `new_share`, from this rank's
// `old_part` under `old_share` (either layout may be data-parallel: its
// part is then the whole model). When `to`'s shape is the old one the part is
// re-cut; otherwise the model grows (check_growth; throws
// std::invalid_argument as it does), new weights from `seed`. Adam moments:
// the old ones in the leading block, zeros elsewhere, on every rank holding
// the parameter (replicated sharding: ZeRO-1 splits them again); the
// optimizer step is kept. Collective over `world` (every rank of both
// layouts); it exchanges on a communicator split from `world` under `name`
// (unique in the run).
ModelPart regrow_model_part(Communicator& world, const ModelPart& old_part, const RankShare& old_share,
                            const GptSettings& to, const RankShare& new_share, uint64_t seed, const std::string& name);

}  // namespace sprout::backend
