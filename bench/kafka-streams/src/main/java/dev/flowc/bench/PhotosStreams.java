package dev.flowc.bench;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * The photos pipeline of examples/photos.flow as a Kafka Streams application.
 *
 * <pre>
 *   PREFIXphotos --copy--> PREFIXlane-4k, PREFIXlane-1080p, PREFIXlane-gif   (hop 1: shard by murmur2(id) % 10)
 *   PREFIXlane-X --render(X)--> PREFIXrenditions                             (hop 2: merge)
 * </pre>
 *
 * The lane topics are ordinary topics created beforehand (10 partitions each), written with
 * {@code to()} and read back with {@code stream()}: what {@code through()} did before it was
 * removed in Kafka 4.0, and the same two hops a kafkajs program or flowc's workers make. Hop 1
 * copies the value bytes without parsing them (the shard key is the record key, the photo id).
 *
 * <p>Usage: {@code java -jar photos-streams.jar BOOTSTRAP PREFIX at_least_once|exactly_once_v2
 * [config=value ...]}; extra arguments are Kafka Streams (or {@code producer.}/{@code consumer.}
 * prefixed client) settings. Prints {@code STATE new old} lines and {@code READY} on stdout;
 * SIGTERM closes the application cleanly and prints {@code CLOSED}.
 */
public final class PhotosStreams {

  /** The three lanes of copy(4k, 1080p, gif) and their target widths. */
  static final List<String> FORMATS = List.of("4k", "1080p", "gif");

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Photo(String id, String owner, String url, int width, int height, List<String> tags) {}

  public record Rendition(String photoId, String format, String url, int width, int height, long bytes) {}

  static int targetWidth(String format) {
    return switch (format) {
      case "4k" -> 3840;
      case "1080p" -> 1920;
      case "gif" -> 480;
      default -> throw new IllegalArgumentException("unknown format " + format);
    };
  }

  /** The render handler: the same arithmetic as the kafkajs baseline (bench/baselines/photos-common.mjs). */
  static Rendition render(Photo p, String format) {
    int w = targetWidth(format);
    int h = (int) Math.round((double) p.height() * w / p.width());
    long bytes = (long) w * h * ("gif".equals(format) ? 1 : 3) / 10;
    return new Rendition(p.id(), format, p.url() + "?format=" + format, w, h, bytes);
  }

  /** Kafka's default partitioner for keyed records, spelled out: murmur2(key bytes) % partitions. */
  static final class Murmur2Partitioner<V> implements StreamPartitioner<String, V> {
    @Override
    public Optional<Set<Integer>> partitions(String topic, String key, V value, int numPartitions) {
      int p = Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % numPartitions;
      return Optional.of(Set.of(p));
    }
  }

  static final ObjectMapper MAPPER =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  static <T> Serde<T> json(Class<T> type) {
    ObjectReader reader = MAPPER.readerFor(type);
    ObjectWriter writer = MAPPER.writerFor(type);
    Serializer<T> ser =
        (topic, value) -> {
          try {
            return value == null ? null : writer.writeValueAsBytes(value);
          } catch (IOException e) {
            throw new SerializationException(e);
          }
        };
    Deserializer<T> de =
        (topic, bytes) -> {
          try {
            return bytes == null ? null : reader.readValue(bytes);
          } catch (IOException e) {
            throw new SerializationException(e);
          }
        };
    return Serdes.serdeFrom(ser, de);
  }

  static Topology topology(String prefix) {
    StreamsBuilder builder = new StreamsBuilder();
    Serde<String> keys = Serdes.String();
    Serde<Photo> photos = json(Photo.class);
    Serde<Rendition> renditions = json(Rendition.class);

    // Hop 1: copy(4k, 1080p, gif) | shard(10, by: .id). The value is passed on as bytes.
    KStream<String, byte[]> input =
        builder.stream(prefix + "photos", Consumed.with(keys, Serdes.ByteArray()));
    for (String format : FORMATS) {
      input.to(
          prefix + "lane-" + format,
          Produced.with(keys, Serdes.ByteArray()).withStreamPartitioner(new Murmur2Partitioner<>()));
    }

    // Hop 2: map(render) per lane | merge -> renditions (keyed by photo id).
    for (String format : FORMATS) {
      builder.stream(prefix + "lane-" + format, Consumed.with(keys, photos))
          .mapValues(p -> render(p, format))
          .to(prefix + "renditions", Produced.with(keys, renditions));
    }
    return builder.build();
  }

  static Properties config(String bootstrap, String prefix, String guarantee, String[] extra) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, prefix + "streams");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    props.put(StreamsConfig.CLIENT_ID_CONFIG, prefix + "streams");
    // Tuning for throughput on a 2-core machine (see docs/performance.md, "Baselines"):
    // two stream threads, bigger producer batches, more records per poll. No compression.
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2);
    props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 262144);
    props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 10);
    props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "none");
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 5000);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MIN_BYTES_CONFIG), 1);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    // Leave the group on close (Streams stays in it until the session times out, to spare a
    // rebalance on restart), so the benchmark can delete the group right after the run.
    props.put(StreamsConfig.consumerPrefix("internal.leave.group.on.close"), true);
    for (String kv : extra) {
      int eq = kv.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("expected config=value, got " + kv);
      props.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return props;
  }

  public static void main(String[] args) throws InterruptedException {
    if (args.length < 3) {
      System.err.println(
          "usage: java -jar photos-streams.jar BOOTSTRAP PREFIX at_least_once|exactly_once_v2 [config=value ...]");
      System.exit(2);
    }
    String bootstrap = args[0];
    String prefix = args[1];
    String guarantee = args[2];
    if (!guarantee.equals(StreamsConfig.AT_LEAST_ONCE) && !guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2)) {
      System.err.println("processing guarantee must be at_least_once or exactly_once_v2, got " + guarantee);
      System.exit(2);
    }
    String[] extra = java.util.Arrays.copyOfRange(args, 3, args.length);

    Topology topology = topology(prefix);
    KafkaStreams streams = new KafkaStreams(topology, config(bootstrap, prefix, guarantee, extra));
    CountDownLatch closed = new CountDownLatch(1);
    int[] exitCode = {0};
    streams.setStateListener(
        (now, before) -> {
          System.out.println("STATE " + now + " " + before);
          if (now == KafkaStreams.State.RUNNING) System.out.println("READY");
          if (now == KafkaStreams.State.ERROR) exitCode[0] = 1;
          if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) closed.countDown();
          System.out.flush();
        });
    streams.setUncaughtExceptionHandler(
        e -> {
          System.err.println("stream thread failed: " + e);
          e.printStackTrace();
          exitCode[0] = 1;
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  streams.close(Duration.ofSeconds(20));
                  System.out.println("CLOSED");
                  System.out.flush();
                },
                "shutdown"));
    System.out.println("TOPOLOGY " + topology.describe().toString().replace('\n', ' '));
    streams.start();
    closed.await();
    // Reached on ERROR (the shutdown hook handles SIGTERM).
    streams.close(Duration.ofSeconds(20));
    System.exit(exitCode[0]);
  }
}
