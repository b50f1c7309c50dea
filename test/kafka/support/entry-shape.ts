/** The shape of a generated entry module (index.ts of `flowc build`) that the worker uses. */
import type { Topology, Worker } from "../../../runtime/index.js";

export declare const topology: Topology;
export declare function load(only?: readonly string[]): Promise<Worker[]>;
