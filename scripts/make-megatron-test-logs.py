#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes tests/data/megatron/*.log: Megatron-LM training logs of plans/flm-101b.yaml.

    scripts/make-megatron-test-logs.py tests/data/megatron

The lines are formatted by the same format strings as Megatron-LM's training loop at the commit
named in planner/include/sprout/planner/export/megatron_export.h: _print_args
(megatron/training/arguments.py) for the argument dump, training_log
(megatron/training/training.py) for the iteration lines (--log-throughput on, --log-energy off),
evaluate_and_print_results for the validation lines. The numbers are made up but consistent: each
stage runs a little slower than `sprout plan` predicts; the last stage is still running.
"""
import datetime
import math
import pathlib
import sys

SEQ = 2048
WORLD = 192
# name, layers, hidden, heads, global batch (sequences), planned iterations, ms per iteration,
# iterations logged (None: all of them), lr, TFLOP/s per GPU as Megatron-LM counts them
STAGES = [
    ("16B", 40, 5760, 80, 2304, 52001, 19000.0, None, 4.0e-4, 135.9),
    ("51B", 40, 10240, 80, 2304, 8401, 47000.0, None, 3.4e-4, 167.0),
    ("101B", 80, 10240, 80, 2100, 6171, 85000.0, 3000, 2.0e-4, 163.5),
]
LOG_INTERVAL = 1000
EVAL_INTERVAL = 5000


def print_args(out, args):
    # _print_args: title line, '  {arg} {dots} {value}' sorted case-insensitively, end line.
    out.append('------------------------ arguments ------------------------')
    lines = []
    for arg, value in args.items():
        dots = '.' * (48 - len(arg))
        lines.append('  {} {} {}'.format(arg, dots, value))
    out.extend(sorted(lines, key=lambda x: x.lower()))
    out.append('-------------------- end of arguments ---------------------')


def iteration_line(now, iteration, train_iters, consumed, ms, throughput, lr, batch, loss, grad_norm):
    # training_log, in its order, with --log-throughput.
    s = f" [{now.strftime('%Y-%m-%d %H:%M:%S.%f')}]"
    s += ' iteration {:8d}/{:8d} |'.format(iteration, train_iters)
    s += ' consumed samples: {:12d} |'.format(consumed)
    s += ' elapsed time per iteration (ms): {:.1f} |'.format(ms)
    s += f' throughput per GPU (TFLOP/s/GPU): {throughput:.1f} |'
    s += f' learning rate: {lr:.6E} |'
    s += f' global batch size: {batch:5d} |'
    s += ' {}: {:.6E} |'.format('lm loss', loss)
    s += f' loss scale: {1.0:.1f} |'
    s += f' grad norm: {grad_norm:.3f} |'
    s += ' number of skipped iterations: {:3d} |'.format(0)
    s += ' number of nan iterations: {:3d} |'.format(0)
    return s


def validation_lines(iteration, loss):
    # evaluate_and_print_results: the string between two rules of dashes.
    string = f' validation loss at iteration {iteration} | '
    string += '{} value: {:.6E} | '.format('lm loss', loss)
    string += '{} PPL: {:.6E} | '.format('lm loss', math.exp(min(20, loss)))
    length = len(string) + 1
    return ['-' * length, string, '-' * length]


def stage_log(index, stage, start):
    name, layers, hidden, heads, batch, iters, ms, logged, lr, tflops = stage
    # validate_args' and print_datetime's lines around the dump (noise the reader skips).
    out = ['using world size: {}, data-parallel size: {}, context-parallel size: {}, hierarchical context-parallel '
           'sizes: {}, tensor-model-parallel size: {}, pipeline-model-parallel size: {}'.format(
               WORLD, WORLD // 2, 1, None, 2, 1)]
    print_args(out, {
        'num_layers': layers, 'hidden_size': hidden, 'num_attention_heads': heads, 'seq_length': SEQ,
        'max_position_embeddings': SEQ, 'ffn_hidden_size': 4 * hidden, 'global_batch_size': batch,
        'micro_batch_size': 1, 'train_samples': iters * batch, 'world_size': WORLD, 'lr': lr, 'bf16': True,
        'position_embedding_type': 'rope', 'log_interval': LOG_INTERVAL,
    })
    out.append('> building train, validation, and test datasets ...')
    out.append(f"[after dataloaders are built] datetime: {start.strftime('%Y-%m-%d %H:%M:%S.%f')} ")
    out.append('training ...')
    last = iters if logged is None else logged
    now = start
    for it in range(LOG_INTERVAL, last + 1, LOG_INTERVAL):
        now += datetime.timedelta(milliseconds=ms * LOG_INTERVAL)
        loss = 2.1 + 1.2 * math.exp(-(it + 4000 * index) / 15000) - 0.05 * index
        decay = 0.5 * (1 + math.cos(math.pi * it / iters))
        rate = lr * (0.1 + 0.9 * decay)
        out.append(iteration_line(now, it, iters, it * batch, ms, tflops, rate, batch, loss, 0.25 + 0.01 * index))
        if it % EVAL_INTERVAL == 0:
            out.extend(validation_lines(it, loss + 0.03))
    if logged is None:
        out.append(f"[after training is done] datetime: {now.strftime('%Y-%m-%d %H:%M:%S.%f')} ")
    return out, now


def main():
    out_dir = pathlib.Path(sys.argv[1])
    start = datetime.datetime(2024, 1, 1, 8, 0, 0)
    for index, stage in enumerate(STAGES):
        lines, end = stage_log(index, stage, start)
        name = f'stage-{index + 1}-{stage[0].lower()}.log'
        (out_dir / name).write_text('\n'.join(lines) + '\n')
        start = end + datetime.timedelta(hours=7)  # the next job starts later: the gap must not count
    # Bad inputs: no iteration line; another model (an argument dump no stage of the plan has).
    lines, _ = stage_log(0, ("16B", 40, 5760, 80, 2304, 52001, 19000.0, 0, 4.0e-4, 135.9), start)
    (out_dir / 'no-iterations.log').write_text('\n'.join(lines) + '\n')
    lines, _ = stage_log(0, ("1.3B", 24, 2048, 16, 2304, 52001, 900.0, 3000, 2.0e-4, 120.0), start)
    (out_dir / 'other-model.log').write_text('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
