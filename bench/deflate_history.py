#!/usr/bin/env python3
"""How well a session's small IMAP responses deflate when the compressor keeps its history, starts
afresh for each burst, or starts from the last N octets sent as a dictionary (what core/deflate.cpp
does between commands). zlib alone, no server: a replay of typical responses. Usage: python3 bench/deflate_history.py"""
import zlib
bursts = []
for i in range(1, 201):  # a client's session: flag fetches, small FETCH responses, NOOPs, a header fetch
    bursts.append((f"* {i} FETCH (UID {1000+i} FLAGS (\\Seen $Urgent))\r\na{i} OK FETCH completed\r\n").encode())
    bursts.append((f"a{i}n OK NOOP completed\r\n").encode())
    bursts.append((f"* {i} FETCH (UID {1000+i} RFC822.SIZE 4096 BODY[HEADER.FIELDS (FROM SUBJECT DATE)] {{120}}\r\n"
                   f"From: Laboratoire Biologie <lab@labo-y.mssante.fr>\r\nSubject: Resultats {i}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\n\r\n)\r\na{i}h OK FETCH completed\r\n").encode())
plain = sum(map(len, bursts))
kept = zlib.compressobj(6, zlib.DEFLATED, -15)
with_history = sum(len(kept.compress(b) + kept.flush(zlib.Z_SYNC_FLUSH)) for b in bursts)
fresh = 0
for b in bursts:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    fresh += len(c.compress(b) + c.flush(zlib.Z_SYNC_FLUSH))
body = b"Patient vu ce jour, examen clinique normal.\r\n" * 200
c = zlib.compressobj(6, zlib.DEFLATED, -15)
print(f"small bursts: plain {plain}, one history {with_history} ({plain/with_history:.2f}x), fresh per burst {fresh} ({plain/fresh:.2f}x)")
print(f"one 9 KiB body: {len(body)} -> {len(c.compress(body)+c.flush(zlib.Z_SYNC_FLUSH))}")
for keep in (1024, 4096, 8192, 32768):
    total, history = 0, b""
    for b in bursts:
        c = zlib.compressobj(6, zlib.DEFLATED, -15, zdict=history) if history else zlib.compressobj(6, zlib.DEFLATED, -15)
        total += len(c.compress(b) + c.flush(zlib.Z_SYNC_FLUSH))
        history = (history + b)[-keep:]
    print(f"fresh compressor, last {keep} octets as dictionary: {total} ({plain/total:.2f}x)")
