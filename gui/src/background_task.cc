// SPDX-License-Identifier: GPL-3.0-or-later
#include "sprout/gui/background_task.h"

#include <QtConcurrent/QtConcurrentRun>

#include <QCoreApplication>
#include <QEventLoop>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <cmath>

namespace sprout::gui {

BackgroundTask::BackgroundTask(QWidget* parent) : QWidget(parent) {
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  label_ = new QLabel(this);
  bar_ = new QProgressBar(this);
  bar_->setObjectName("taskProgress");
  bar_->setRange(0, 1000);
  cancel_ = new QPushButton(tr("Cancel"), this);
  cancel_->setObjectName("taskCancel");
  layout->addWidget(label_);
  layout->addWidget(bar_, 1);
  layout->addWidget(cancel_);
  connect(cancel_, &QPushButton::clicked, this, &BackgroundTask::cancel);
  hide();
}

BackgroundTask::~BackgroundTask() {
  cancel();
  wait();
}

bool BackgroundTask::start(const QString& what, std::function<void(const TaskContext&)> work,
                           std::function<void()> done) {
  if (busy_) return false;
  busy_ = true;
  cancelled_ = std::make_shared<std::atomic<bool>>(false);
  label_->setText(what);
  bar_->setValue(0);
  cancel_->setEnabled(true);
  show();
  TaskContext ctx;
  ctx.cancelled_ = cancelled_;
  QPointer<QProgressBar> bar = bar_;
  ctx.progress_ = [bar](double f) {
    const int v = static_cast<int>(std::lround(1000 * std::clamp(f, 0.0, 1.0)));
    QMetaObject::invokeMethod(
        qApp,
        [bar, v] {
          if (bar) bar->setValue(v);
        },
        Qt::QueuedConnection);
  };
  auto* watcher = new QFutureWatcher<void>(this);
  connect(watcher, &QFutureWatcher<void>::finished, this, [this, watcher, done] {
    watcher->deleteLater();
    busy_ = false;
    hide();
    if (done) done();
    emit finished();
  });
  watcher->setFuture(QtConcurrent::run([work, ctx] { work(ctx); }));
  return true;
}

void BackgroundTask::cancel() {
  if (cancelled_) cancelled_->store(true);
  cancel_->setEnabled(false);
}

void BackgroundTask::wait() {
  while (busy_) QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
}

}  // namespace sprout::gui
