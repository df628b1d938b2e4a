import { Injectable } from '@nestjs/common';

/** One thing the detector found in an image. */
export interface DetectedObject {
  label: string;
  confidence: number;
  /** [x, y, width, height] in pixels. */
  box: [number, number, number, number];
}

const LABELS = ['person', 'bicycle', 'car', 'dog', 'cat'];

/**
 * Stands in for a real model so the sample runs anywhere. It is deterministic — the same path always
 * gives the same objects — so tests can check results exactly.
 */
@Injectable()
export class DetectorService {
  detect(imagePath: string): DetectedObject[] {
    const seed = [...imagePath].reduce((sum, char) => (sum * 31 + char.charCodeAt(0)) % 10_007, 7);
    const count = 1 + (seed % 3);
    return Array.from({ length: count }, (_, i) => ({
      label: LABELS[(seed + i) % LABELS.length],
      confidence: (50 + ((seed + i * 17) % 50)) / 100,
      box: [(seed * (i + 1)) % 640, (seed * (i + 2)) % 480, 32 + i * 16, 32 + i * 16],
    }));
  }
}
