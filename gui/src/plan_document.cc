// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/plan_document.h"

#include <QFileInfo>
#include <QUndoCommand>
#include <QUndoStack>
#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "sprout/planner/base/file_io.h"
#include "sprout/planner/base/input_error.h"
#include "sprout/planner/io/plan_loader.h"

namespace sprout::gui {
namespace {

// One edit of the draft, kept as the whole draft before and after it: plans
// are small, and a snapshot cannot miss what sync_grow_flags changed too.
class DraftEdit : public QUndoCommand {
 public:
  DraftEdit(const QString& text, YAML::Node before, YAML::Node after, std::function<void(const YAML::Node&)> apply)
      : QUndoCommand(text), before_(std::move(before)), after_(std::move(after)), apply_(std::move(apply)) {}
  void undo() override { apply_(before_); }
  void redo() override {
    // Pushing runs redo(): the edit is already in the draft then.
    if (pushed_) apply_(after_);
    pushed_ = true;
  }

 private:
  YAML::Node before_, after_;
  std::function<void(const YAML::Node&)> apply_;
  bool pushed_ = false;
};

}  // namespace

PlanDocument::PlanDocument(QObject* parent) : QObject(parent), undo_(new QUndoStack(this)) {
  connect(undo_, &QUndoStack::cleanChanged, this, [this] { emit modified_changed(is_modified()); });
}

bool PlanDocument::is_modified() const { return unsaved_new_ || !undo_->isClean(); }

void PlanDocument::edit_draft(const QString& what, const std::function<void()>& edit) {
  YAML::Node before = YAML::Clone(draft_);
  edit();
  revalidate();
  undo_->push(new DraftEdit(what, std::move(before), YAML::Clone(draft_), [this](const YAML::Node& draft) {
    draft_ = YAML::Clone(draft);
    revalidate();
  }));
}

bool PlanDocument::load(const QString& path) {
  try {
    planner::Plan plan = planner::load_plan(path.toStdString());
    load_plan(plan, path);
    load_error_.clear();
    return true;
  } catch (const planner::InputError& e) {
    load_error_ = QString::fromStdString(e.what());
  } catch (const std::exception& e) {
    load_error_ = path + ": " + QString::fromStdString(e.what());
  }
  return false;
}

void PlanDocument::load_plan(const planner::Plan& plan, const QString& path) {
  draft_ = YAML::Load(planner::plan_to_yaml(plan));
  path_ = path;
  undo_->clear();
  // A plan that comes from no file (a budget candidate) is unsaved work.
  unsaved_new_ = path.isEmpty();
  revalidate();
  emit modified_changed(is_modified());
}

bool PlanDocument::save(const QString& path) {
  if (error_ || !valid_) return false;
  try {
    planner::write_file_atomically(path.toStdString(), planner::plan_to_yaml(*valid_));
  } catch (const std::exception& e) {
    load_error_ = QString::fromStdString(e.what());
    return false;
  }
  path_ = path;
  unsaved_new_ = false;
  undo_->setClean();
  emit changed();
  emit modified_changed(false);
  return true;
}

int PlanDocument::stage_count() const { return draft_["stages"] ? static_cast<int>(draft_["stages"].size()) : 0; }

static QString scalar_text(const YAML::Node& node) {
  if (!node || !node.IsDefined() || node.IsNull()) return {};
  if (node.IsScalar()) return QString::fromStdString(node.Scalar());
  YAML::Emitter out;
  out << YAML::Flow << node;
  return QString::fromStdString(out.c_str());
}

QString PlanDocument::stage_value(int stage, const QString& key) const {
  if (stage < 0 || stage >= stage_count()) return {};
  const YAML::Node st = draft_["stages"][stage];
  const std::string k = key.toStdString();
  // Dotted keys reach into nested maps: "parallel.tp", "grow.grow_steps".
  const auto dot = k.find('.');
  if (dot != std::string::npos) {
    const YAML::Node parent = st[k.substr(0, dot)];
    return parent ? scalar_text(parent[k.substr(dot + 1)]) : QString();
  }
  return scalar_text(st[k]);
}

QString PlanDocument::top_value(const QString& key) const { return scalar_text(draft_[key.toStdString()]); }

static void set_scalar(YAML::Node node, const std::string& key, const QString& value) {
  if (value.trimmed().isEmpty()) {
    node.remove(key);
  } else {
    node[key] = value.trimmed().toStdString();
  }
}

void PlanDocument::set_stage_value(int stage, const QString& key, const QString& value) {
  if (stage < 0 || stage >= stage_count()) return;
  edit_draft(tr("edit %1 of stage %2").arg(key).arg(stage + 1), [&] {
    YAML::Node st = draft_["stages"][stage];
    const std::string k = key.toStdString();
    const auto dot = k.find('.');
    if (dot != std::string::npos) {
      YAML::Node parent = st[k.substr(0, dot)];
      if (!parent || !parent.IsMap()) {
        st[k.substr(0, dot)] = YAML::Node(YAML::NodeType::Map);
        parent = st[k.substr(0, dot)];
      }
      set_scalar(parent, k.substr(dot + 1), value);
    } else {
      set_scalar(st, k, value);
      // The plan takes exactly one of the two batch keys: typing one drops the other.
      const std::string other = k == "global_batch_tokens"      ? "global_batch_sequences"
                                : k == "global_batch_sequences" ? "global_batch_tokens"
                                                                : "";
      if (!other.empty() && !value.trimmed().isEmpty()) st.remove(other);
    }
  });
}

void PlanDocument::set_top_value(const QString& key, const QString& value) {
  edit_draft(tr("edit %1").arg(key), [&] { set_scalar(draft_, key.toStdString(), value); });
}

// YAML::Node assignment copies into the referenced node, so reordering by
// assigning handles would alias stages: always rebuild the sequence from
// clones, in the new order.
static YAML::Node sequence_of(const YAML::Node& stages, const std::vector<int>& order) {
  YAML::Node out(YAML::NodeType::Sequence);
  for (int i : order) out.push_back(YAML::Clone(stages[i]));
  return out;
}

void PlanDocument::add_stage_after(int stage) {
  if (stage_count() == 0) return;
  stage = std::clamp(stage, 0, stage_count() - 1);
  std::vector<int> order;
  for (int i = 0; i < stage_count(); ++i) {
    order.push_back(i);
    if (i == stage) order.push_back(i);
  }
  edit_draft(tr("add stage"), [&] {
    YAML::Node stages = sequence_of(draft_["stages"], order);
    YAML::Node copy = stages[stage + 1];
    copy.remove("grow");
    copy.remove("init_from");  // the first stage's alone
    copy["name"] = copy["name"].Scalar() + " copy";
    draft_["stages"] = stages;
  });
}

void PlanDocument::remove_stage(int stage) {
  if (stage_count() <= 1 || stage < 0 || stage >= stage_count()) return;
  std::vector<int> order;
  for (int i = 0; i < stage_count(); ++i) {
    if (i != stage) order.push_back(i);
  }
  edit_draft(tr("remove stage"), [&] { draft_["stages"] = sequence_of(draft_["stages"], order); });
}

void PlanDocument::move_stage(int stage, int delta) {
  const int target = stage + delta;
  if (stage < 0 || target < 0 || stage >= stage_count() || target >= stage_count()) return;
  std::vector<int> order;
  for (int i = 0; i < stage_count(); ++i) {
    if (i != stage) order.push_back(i);
  }
  order.insert(order.begin() + target, stage);
  edit_draft(tr("move stage"), [&] { draft_["stages"] = sequence_of(draft_["stages"], order); });
}

static std::optional<long long> integer_of(const YAML::Node& n) {
  if (!n || !n.IsScalar()) return std::nullopt;
  try {
    size_t used = 0;
    long long v = std::stoll(n.Scalar(), &used);
    if (used != n.Scalar().size()) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

void PlanDocument::sync_grow_flags() {
  for (int i = 1; i < stage_count(); ++i) {
    YAML::Node prev = draft_["stages"][i - 1];
    YAML::Node cur = draft_["stages"][i];
    bool width = false, depth = false, known = true;
    for (const char* key : {"hidden", "heads", "ffn_hidden", "layers"}) {
      auto a = integer_of(prev[key]), b = integer_of(cur[key]);
      if (!a || !b) {
        known = false;
        break;
      }
      if (*b > *a) (std::string(key) == "layers" ? depth : width) = true;
    }
    if (!known) continue;
    if (!width && !depth) {
      cur.remove("grow");
      continue;
    }
    YAML::Node grow = cur["grow"];
    if (!grow || !grow.IsMap()) {
      cur["grow"] = YAML::Node(YAML::NodeType::Map);
      grow = cur["grow"];
    }
    grow.remove("width");
    grow.remove("depth");
    if (width) grow["width"] = "true";
    if (depth) grow["depth"] = "true";
    if (!grow["grow_steps"]) grow["grow_steps"] = std::to_string(planner::kDefaultGrowSteps);
  }
}

void PlanDocument::revalidate() {
  sync_grow_flags();
  YAML::Emitter out;
  out << draft_;
  // Profiles are found relative to the plan's own directory, as on the CLI.
  const std::string name = path_.isEmpty() ? std::string("<unsaved plan>") : path_.toStdString();
  try {
    planner::Plan plan = planner::load_plan_from_string(out.c_str(), name);
    planner::PlanEstimate estimate = planner::estimate_plan(plan);
    valid_ = std::move(plan);
    estimate_ = std::move(estimate);
    error_.reset();
    emit estimate_changed();
  } catch (const planner::InputError& e) {
    // Line numbers would point into the generated draft, not the user's
    // file: show the field and the reason.
    const QString field = QString::fromStdString(e.field());
    const QString reason = QString::fromStdString(e.reason());
    error_ = FieldError{field, reason, field.isEmpty() ? reason : field + ": " + reason};
  } catch (const std::exception& e) {
    error_ = FieldError{QString(), QString::fromStdString(e.what()), QString::fromStdString(e.what())};
  }
  emit changed();
}

}  // namespace sprout::gui
