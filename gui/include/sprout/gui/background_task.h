// SPDX-License-Identifier: GPL-3.0-or-later
// Long work (Monte Carlo, search) off the UI thread: a progress bar and a
// Cancel button; the work polls `cancelled()` and reports progress in [0, 1];
// the result is delivered on the UI thread.
#pragma once

#include <QWidget>
#include <atomic>
#include <functional>
#include <memory>

class QLabel;
class QProgressBar;
class QPushButton;

namespace sprout::gui {

class TaskContext {
 public:
  bool cancelled() const { return cancelled_->load(); }
  void report(double fraction) const { progress_(fraction); }

 private:
  friend class BackgroundTask;
  std::shared_ptr<std::atomic<bool>> cancelled_;
  std::function<void(double)> progress_;
};

class BackgroundTask : public QWidget {
  Q_OBJECT

 public:
  explicit BackgroundTask(QWidget* parent = nullptr);
  ~BackgroundTask() override;

  // Runs `work` on a worker thread; then `done` on this thread (also after a
  // cancel: check the work's own result). Refused (false) while busy.
  bool start(const QString& what, std::function<void(const TaskContext&)> work, std::function<void()> done);
  bool busy() const { return busy_; }
  void cancel();
  // Blocks (processing events) until idle; for tests and shutdown.
  void wait();

 signals:
  void finished();

 private:
  QLabel* label_;
  QProgressBar* bar_;
  QPushButton* cancel_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
  bool busy_ = false;
};

}  // namespace sprout::gui
