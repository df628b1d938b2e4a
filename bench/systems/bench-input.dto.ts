import { IsInt, IsNumber, IsString, Min } from 'class-validator';
import { JobInput } from '../../lib';
import type { BenchJob } from '../bench-job';

/** The input DTO our systems register, so every publish and every run validates the payload. */
export class BenchInput extends JobInput implements BenchJob {
  @IsInt() @Min(0) n!: number;
  @IsNumber() t!: number;
  @IsString() data!: string;
}
