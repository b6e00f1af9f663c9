// fabdesk usage meter, reference sketch (docs/meter-protocol.md, protocol version 1).
//
// Arduino Uno/Nano; a current transformer (e.g. SCT-013-030, 30 A -> 1 V) on A0, biased at
// VCC/2 with two 10 k resistors and a 10 uF capacitor. The meter decides ON/OFF itself with
// hysteresis and reports every change at once; it answers `?` with its state.

#include <Arduino.h>

const char *METER_NAME = "CF1-MACHINE-01";  // the machine's asset tag
const long BAUD = 9600;
const int SENSOR_PIN = A0;
const float AMPS_PER_VOLT = 30.0;            // SCT-013-030
const float MAINS_VOLTS = 230.0;
const float ON_AMPS = 0.5, OFF_AMPS = 0.3;   // hysteresis
const unsigned long ON_AFTER_MS = 1000, OFF_AFTER_MS = 3000, POWER_EVERY_MS = 1000;
const bool USE_CHECKSUM = false;

bool machineOn = false;
unsigned long aboveSince = 0, belowSince = 0, lastPower = 0;
char input[16];
byte inputLength = 0;

void sendLine(const char *body) {
  Serial.print(body);
  if (USE_CHECKSUM) {
    byte sum = 0;
    for (const char *c = body; *c; c++) sum ^= (byte)*c;
    char tail[5];
    snprintf(tail, sizeof tail, "*%02X", sum);
    Serial.print(tail);
  }
  Serial.print("\n");
}

float readAmps() {
  // RMS over 200 samples (~20 ms at 50 Hz: one mains period).
  long sum = 0, sumSquares = 0;
  const int samples = 200;
  int values[samples];
  for (int i = 0; i < samples; i++) {
    values[i] = analogRead(SENSOR_PIN);
    sum += values[i];
    delayMicroseconds(100);
  }
  float mean = (float)sum / samples;
  float squares = 0;
  for (int i = 0; i < samples; i++) {
    float centred = values[i] - mean;
    squares += centred * centred;
  }
  float volts = sqrt(squares / samples) * 5.0 / 1023.0;
  return volts * AMPS_PER_VOLT;
}

void setup() {
  Serial.begin(BAUD);
  char hello[40];
  snprintf(hello, sizeof hello, "FABMETER 1 %s", METER_NAME);
  sendLine(hello);
}

void loop() {
  unsigned long now = millis();
  float amps = readAmps();

  if (amps >= ON_AMPS) {
    belowSince = 0;
    if (!aboveSince) aboveSince = now;
    if (!machineOn && now - aboveSince >= ON_AFTER_MS) {
      machineOn = true;
      sendLine("ON");
    }
  } else if (amps <= OFF_AMPS) {
    aboveSince = 0;
    if (!belowSince) belowSince = now;
    if (machineOn && now - belowSince >= OFF_AFTER_MS) {
      machineOn = false;
      sendLine("OFF");
    }
  }

  if (machineOn && now - lastPower >= POWER_EVERY_MS) {
    lastPower = now;
    char power[24];
    dtostrf(amps * MAINS_VOLTS, 1, 1, power + 2);
    power[0] = 'W';
    power[1] = ' ';
    sendLine(power);
  }

  while (Serial.available()) {
    char c = Serial.read();
    if (c == '\n') {
      input[inputLength] = 0;
      if (inputLength && input[inputLength - 1] == '\r') input[--inputLength] = 0;
      if (strcmp(input, "?") == 0) sendLine(machineOn ? "ON" : "OFF");
      inputLength = 0;
    } else if (inputLength < sizeof input - 1) {
      input[inputLength++] = c;
    } else {
      inputLength = 0;  // too long: not ours, drop it
    }
  }
}
