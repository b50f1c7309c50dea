/**
 * Drawings of the stage graph for `flowc graph`: DOT (for Graphviz), Mermaid
 * (for Markdown), and SVG, laid out by Graphviz compiled to WebAssembly
 * (@viz-js/viz) from the DOT.
 *
 * What is drawn: each worker is a box (a cluster) holding its stages; topics sit
 * between workers. Lanes label the edges out of copy and split; a shard stage is
 * drawn stacked and says how many shards; several lanes meeting in one topic is a
 * merge. Retry topics loop back into their worker (dotted), dead-letter topics
 * hang off it (red, dashed). `--no-failures` leaves retry, dead-letter and state
 * topics out.
 */
import { GraphIndex, type StageGraph, type StageNode, type TopicPlan, type WorkerPlan } from "./ir.js";
import { duration } from "./emit/worker.js";

export interface GraphOptions {
  /** Draw retry and dead-letter topics (default true). State topics are never drawn. */
  readonly failures?: boolean;
}

const TOPIC_STYLE: Record<TopicPlan["role"], string> = {
  source: 'shape=cylinder, style="filled,bold", fillcolor="#dbeafe"',
  sink: 'shape=cylinder, style="filled,bold", fillcolor="#dcfce7"',
  intermediate: 'shape=cylinder, style="filled,bold", fillcolor="#fef9c3"',
  internal: 'shape=cylinder, style="filled,dashed", fillcolor="#f3f4f6"',
  retry: 'shape=cylinder, style="filled,dotted", fillcolor="#ffedd5", fontsize=10',
  "dead-letter": 'shape=cylinder, style=filled, fillcolor="#fee2e2", color="#b91c1c", fontsize=10',
  state: "shape=cylinder",
};

function stageLabel(node: StageNode): string {
  switch (node.kind) {
    case "copy":
      return `copy(${node.lanes.join(", ")})${node.hedge ? "\nhedge" : ""}`;
    case "filter":
      return node.origin.text.replace(/,\s*dropped:.*\)$/, ")");
    case "split":
      return "split";
    case "shard":
      return `shard(${node.count}${node.key !== undefined ? `, by: .${node.key.join(".")}` : ""})\n${node.count} shards`;
    case "merge":
      return node.first ? "merge(first)" : "merge";
    case "map":
    case "flatMap":
      return `${node.kind}(${node.handler.name})`;
  }
}

function stageStyle(node: StageNode): string {
  switch (node.kind) {
    case "map":
    case "flatMap":
      return 'shape=box, style="rounded,filled,bold", fillcolor="#ede9fe"';
    case "shard":
      return 'shape=box3d, style=filled, fillcolor="#fae8ff"';
    case "merge":
      return 'shape=invtriangle, style=filled, fillcolor="#e0f2fe"';
    case "copy":
    case "split":
      return 'shape=diamond, style=filled, fillcolor="#fff7ed"';
    case "filter":
      return 'shape=invhouse, style=filled, fillcolor="#ecfccb"';
  }
}

const q = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

/** Where a worker's messages enter: its handler, or its first route node, or (for a pure forward) its first emit. */
function entryOf(worker: WorkerPlan): string | undefined {
  if (worker.handler !== undefined) return worker.handler;
  return worker.route?.kind === "node" ? worker.route.node : undefined;
}

export function toDot(graph: StageGraph, options: GraphOptions = {}): string {
  const failures = options.failures !== false;
  const index = new GraphIndex(graph);
  const lines: string[] = [];
  lines.push("digraph flowc {");
  lines.push('  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.3, ranksep=0.6, compound=true];');
  lines.push('  node [fontname="Helvetica", fontsize=11, margin="0.15,0.06"];');
  lines.push('  edge [fontname="Helvetica", fontsize=9];');
  lines.push("");
  // Retry tiers are drawn as one node per worker, inside the worker's box; dead-letter topics
  // planned for one worker sit in its box too.
  const ownedByWorker = (t: TopicPlan) => t.role === "retry" || (t.role === "dead-letter" && t.declared === undefined);
  const drawn = (t: TopicPlan) => t.role !== "state" && !ownedByWorker(t) && (failures || t.role !== "dead-letter");
  lines.push("  // topics");
  for (const topic of graph.topics.filter(drawn)) {
    const details = [topic.partitions !== undefined ? `${topic.partitions} partition${topic.partitions === 1 ? "" : "s"}` : undefined, topic.key !== undefined ? `key .${topic.key.join(".")}` : undefined]
      .filter(Boolean)
      .join(", ");
    const label = topic.role === "retry" && topic.retry ? `${topic.name}\nafter ${duration(topic.retry.delayMs)}` : details !== "" ? `${topic.name}\n${details}` : topic.name;
    lines.push(`  ${q(`topic:${topic.name}`)} [label=${q(label)}, ${TOPIC_STYLE[topic.role]}];`);
  }
  lines.push("");
  lines.push("  // workers and their stages");
  for (const worker of graph.workers) {
    lines.push(`  subgraph ${q(`cluster_${worker.id}`)} {`);
    lines.push(`    label=${q(`worker ${worker.id}`)}; style="rounded,dashed"; color="#6b7280"; fontsize=10;`);
    if (failures) {
      if (worker.retryTopics.length > 0) {
        const delays = worker.retryTopics.map((t) => duration(index.topic(t).retry!.delayMs)).join(", ");
        const names = worker.retryTopics.length === 1 ? worker.retryTopics[0] : `${worker.id}.retry.1..${worker.retryTopics.length}`;
        lines.push(`    ${q(`retries:${worker.id}`)} [label=${q(`${names}\nafter ${delays}`)}, ${TOPIC_STYLE.retry}];`);
      }
      const dlq = index.topic(worker.deadLetterTopic);
      if (dlq.declared === undefined) lines.push(`    ${q(`topic:${dlq.name}`)} [label=${q(dlq.name)}, ${TOPIC_STYLE["dead-letter"]}];`);
    }
    if (worker.nodes.length === 0) {
      // A worker that only forwards: one small node so its input and output can be drawn.
      lines.push(`    ${q(`worker:${worker.id}`)} [label="forward", shape=circle, fontsize=9];`);
    }
    for (const id of worker.nodes) {
      const node = index.node(id);
      lines.push(`    ${q(id)} [label=${q(stageLabel(node))}, tooltip=${q(`${id}  (${node.origin.text})`)}, ${stageStyle(node)}];`);
    }
    lines.push("  }");
  }
  lines.push("");
  lines.push("  // edges");
  const edge = (from: string, to: string, attrs: string[] = []) => lines.push(`  ${q(from)} -> ${q(to)}${attrs.length > 0 ? ` [${attrs.join(", ")}]` : ""};`);
  for (const worker of graph.workers) {
    const entry = entryOf(worker) ?? `worker:${worker.id}`;
    edge(`topic:${worker.input}`, entry);
    if (worker.nodes.length === 0 && worker.route?.kind === "topic") edge(entry, `topic:${worker.route.topic}`);
    if (failures) {
      if (worker.retryTopics.length > 0) {
        edge(entry, `retries:${worker.id}`, ["style=dotted", 'color="#c2410c"', 'label="retry"']);
        edge(`retries:${worker.id}`, entry, ["style=dotted", 'color="#c2410c"', "constraint=false"]);
      }
      edge(entry, `topic:${worker.deadLetterTopic}`, ["style=dashed", 'color="#b91c1c"', 'label="dead letter"']);
    }
  }
  for (const node of graph.nodes) {
    for (const output of node.outputs) {
      const to = output.to.kind === "topic" ? `topic:${output.to.topic}` : output.to.node;
      const attrs: string[] = [];
      if (output.label === "dropped" && node.kind === "filter") attrs.push("style=dashed", 'label="dropped"');
      else if (output.label !== undefined) attrs.push(`label=${q(output.label)}`);
      edge(node.id, to, attrs);
    }
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** A Mermaid flowchart of the same graph, for Markdown. */
export function toMermaid(graph: StageGraph, options: GraphOptions = {}): string {
  const failures = options.failures !== false;
  const index = new GraphIndex(graph);
  const ids = new Map<string, string>();
  const id = (key: string) => {
    let value = ids.get(key);
    if (value === undefined) {
      value = `n${ids.size}`;
      ids.set(key, value);
    }
    return value;
  };
  const text = (s: string) => `"${s.replace(/"/g, "#quot;").replace(/\n/g, "<br/>")}"`;
  const lines = ["flowchart LR"];
  const drawn = (t: TopicPlan) => t.role !== "state" && t.role !== "retry" && (failures || t.role !== "dead-letter");
  for (const topic of graph.topics.filter(drawn)) {
    const label = topic.partitions !== undefined ? `${topic.name}\n${topic.partitions} partition${topic.partitions === 1 ? "" : "s"}` : topic.name;
    lines.push(`  ${id(`topic:${topic.name}`)}[(${text(label)})]`);
  }
  for (const worker of graph.workers) {
    lines.push(`  subgraph ${id(`cluster:${worker.id}`)}[${text(`worker ${worker.id}`)}]`);
    if (worker.nodes.length === 0) lines.push(`    ${id(`worker:${worker.id}`)}((forward))`);
    if (failures && worker.retryTopics.length > 0) {
      const delays = worker.retryTopics.map((t) => duration(index.topic(t).retry!.delayMs)).join(", ");
      lines.push(`    ${id(`retries:${worker.id}`)}[(${text(`${worker.retryTopics.length} retry topics\nafter ${delays}`)})]`);
    }
    for (const nodeId of worker.nodes) {
      const node = index.node(nodeId);
      const label = text(stageLabel(node));
      const shape = node.kind === "map" || node.kind === "flatMap" ? `([${label}])` : node.kind === "copy" || node.kind === "split" ? `{${label}}` : `[${label}]`;
      lines.push(`    ${id(nodeId)}${shape}`);
    }
    lines.push("  end");
  }
  const edge = (from: string, to: string, label?: string, dotted = false) =>
    lines.push(`  ${id(from)} ${dotted ? "-.->" : "-->"}${label !== undefined ? `|${text(label)}|` : ""} ${id(to)}`);
  for (const worker of graph.workers) {
    const entry = entryOf(worker) ?? `worker:${worker.id}`;
    edge(`topic:${worker.input}`, entry);
    if (worker.nodes.length === 0 && worker.route?.kind === "topic") edge(entry, `topic:${worker.route.topic}`);
    if (failures) {
      if (worker.retryTopics.length > 0) {
        edge(entry, `retries:${worker.id}`, "retry", true);
        edge(`retries:${worker.id}`, entry, undefined, true);
      }
      edge(entry, `topic:${worker.deadLetterTopic}`, "dead letter", true);
    }
  }
  for (const node of graph.nodes) {
    for (const output of node.outputs) {
      const to = output.to.kind === "topic" ? `topic:${output.to.topic}` : output.to.node;
      edge(node.id, to, output.label, output.label === "dropped" && node.kind === "filter");
    }
  }
  return `${lines.join("\n")}\n`;
}

/** SVG laid out by Graphviz (WebAssembly build from @viz-js/viz). */
export async function toSvg(graph: StageGraph, options: GraphOptions = {}): Promise<string> {
  const { instance } = await import("@viz-js/viz");
  const viz = await instance();
  return viz.renderString(toDot(graph, options), { format: "svg", engine: "dot" });
}
