#!/usr/bin/env node
// Writes examples/data/photos.jsonl: deterministic sample uploads for examples/photos.flow.
// Usage: node scripts/sample-photos.mjs [count] [file]
// The sample ends with two bad inputs on purpose, so a run shows where they go:
// a photo with no pixels (render fails on every attempt -> dead letter after its retries)
// and a line that is not JSON (malformed -> dead letter at once).
import { writeFileSync } from "node:fs";

const count = Number(process.argv[2] ?? 1000);
const file = process.argv[3] ?? new URL("../examples/data/photos.jsonl", import.meta.url);
const owners = ["ada", "grace", "alan", "barbara", "edsger", "margaret", "ken", "frances"];
const sizes = [[6000, 4000], [4032, 3024], [3000, 2000], [1920, 1080], [1080, 1350], [800, 600]];
const tagWords = ["beach", "city", "night", "family", "food", "mountain", "snow", "street"];

// A small linear congruential generator: the same file on every run.
let seed = 20261128;
const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const pick = (list) => list[Math.floor(next() * list.length)];

const lines = [];
for (let i = 1; i <= count; i++) {
  const [width, height] = pick(sizes);
  const id = `p${String(i).padStart(6, "0")}`;
  const photo = { id, owner: pick(owners), url: `https://img.example.com/${id}.jpg`, width, height, tags: [pick(tagWords), pick(tagWords)] };
  if (i % 3 === 0) photo.takenAt = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString();
  lines.push(JSON.stringify(photo));
}
lines.push(JSON.stringify({ id: "p-empty", owner: "ada", url: "https://img.example.com/p-empty.jpg", width: 0, height: 0, tags: [] }));
lines.push('{"id": "p-truncated", "owner": "ada", "url": ');
writeFileSync(file, lines.join("\n") + "\n");
