// SPDX-License-Identifier: GPL-3.0-or-later
// The plan being edited. It keeps a draft (every key spelled out, as
// planner::plan_to_yaml writes it) that the views edit field by field, and the
// last draft that validated, with its estimate. Validation is the planner's
// own loader, so the GUI shows exactly the CLI's errors; an invalid draft is
// never saved. Every edit is a step on an undo stack; the document is
// modified while the stack is away from where it was last loaded or saved
// (and a plan from no file is modified until saved).
#pragma once

#include <yaml-cpp/yaml.h>

#include <QObject>
#include <QString>
#include <functional>
#include <optional>

class QUndoStack;

#include "sprout/planner/cost/estimate.h"
#include "sprout/planner/plan/plan.h"

namespace sprout::gui {

// One validation problem, located by the planner's field path
// ("stages[1].hidden", "gpus").
struct FieldError {
  QString field;
  QString message;  // the reason alone
  QString full;     // the planner's whole one-line error
};

class PlanDocument : public QObject {
  Q_OBJECT

 public:
  explicit PlanDocument(QObject* parent = nullptr);

  // Replaces the document. Returns false (and reports through error()) for a
  // file the planner rejects; the current document is then unchanged.
  bool load(const QString& path);
  void load_plan(const planner::Plan& plan, const QString& path = {});
  // Writes the draft atomically. Refuses while the draft has an error.
  bool save(const QString& path);

  const QString& path() const { return path_; }
  bool is_modified() const;
  QUndoStack* undo_stack() const { return undo_; }
  bool has_plan() const { return valid_.has_value(); }
  const planner::Plan& plan() const { return *valid_; }  // last valid draft
  const std::optional<planner::PlanEstimate>& estimate() const { return estimate_; }
  const std::optional<FieldError>& error() const { return error_; }
  QString last_load_error() const { return load_error_; }

  // Draft access for the editors.
  int stage_count() const;
  QString stage_value(int stage, const QString& key) const;  // "" if absent
  QString top_value(const QString& key) const;
  void set_stage_value(int stage, const QString& key, const QString& value);
  void set_top_value(const QString& key, const QString& value);
  void add_stage_after(int stage);  // copies the stage, without grow:
  void remove_stage(int stage);
  void move_stage(int stage, int delta);

 signals:
  void changed();           // draft edited (valid or not) or replaced
  void estimate_changed();  // a new valid plan was estimated
  void modified_changed(bool modified);

 private:
  // Applies `edit` to the draft as one undoable step called `what`.
  void edit_draft(const QString& what, const std::function<void()>& edit);
  void revalidate();
  // A GUI user edits shapes, not `grow:` flags: set each stage's width/depth
  // flags to what its shape change implies (keeping grow_steps), so the only
  // growth errors left are real ones (shrinking, changed vocabulary, ...).
  void sync_grow_flags();

  YAML::Node draft_;
  std::optional<planner::Plan> valid_;
  std::optional<planner::PlanEstimate> estimate_;
  std::optional<FieldError> error_;
  QString path_;
  QString load_error_;
  QUndoStack* undo_;
  bool unsaved_new_ = false;
};

}  // namespace sprout::gui
